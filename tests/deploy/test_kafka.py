"""The Strimzi topics are the code's topics, and workers never outnumber partitions."""

from __future__ import annotations

import pytest

from kamkor_common.events import topics
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_referral.api import consumers as referral_consumers
from kamkor_referral.config import ReferralSettings
from kamkor_registry.api import CONSUMERS as REGISTRY_CONSUMERS
from kamkor_risk.api import CONSUMERS as RISK_CONSUMERS
from kamkor_shelter.api import consumers as shelter_consumers
from kamkor_shelter.config import ShelterSettings
from tests.deploy.conftest import OVERLAYS

# The consumer creates its dead-letter topic with one partition (EventConsumer._start).
DLQ_PARTITIONS = 1


def _consumers() -> dict[str, list[ConsumerSpec]]:
    """Every consumer group of every service, as the services build them."""
    return {
        "registry": list(REGISTRY_CONSUMERS),
        "risk": list(RISK_CONSUMERS),
        "referral": referral_consumers(ReferralSettings()),
        "shelter": shelter_consumers(ShelterSettings()),
    }


def _expected_topics() -> dict[str, int]:
    expected = dict(topics.PARTITIONS)
    for specs in _consumers().values():
        for spec in specs:
            expected[topics.dlq_topic(spec.group_id)] = DLQ_PARTITIONS
    return expected


def _declared(rendered, overlay: str) -> dict[str, int]:
    declared: dict[str, int] = {}
    for t in rendered[overlay].of_kind("KafkaTopic"):
        name = t["spec"].get("topicName", t["metadata"]["name"])
        assert name not in declared, f"{name} declared twice"
        declared[name] = t["spec"]["partitions"]
    return declared


def test_the_constants_name_every_domain_topic():
    """Guards the test itself: the four domain topics and the four consumer groups."""
    named = {topics.REGISTRY_HOUSEHOLDS, topics.RISK_FLAGS, topics.REFERRAL_REFERRALS}
    assert named | {topics.SHELTER_CAPACITY} == set(topics.PARTITIONS)
    groups = {s.group_id for specs in _consumers().values() for s in specs}
    assert groups == {"risk-households", "referral", "referral-webhooks", "shelter-referrals"}


@pytest.mark.parametrize("overlay", OVERLAYS)
class TestTopics:
    def test_topics_and_partitions_equal_the_code(self, rendered, overlay):
        assert _declared(rendered, overlay) == _expected_topics()

    def test_each_consumed_topic_is_declared(self, rendered, overlay):
        declared = _declared(rendered, overlay)
        for specs in _consumers().values():
            for spec in specs:
                assert set(spec.topics) <= set(declared), spec.group_id

    def test_replicas_fit_the_brokers_and_the_cluster_is_kraft(self, rendered, overlay):
        r = rendered[overlay]
        pools = r.of_kind("KafkaNodePool")
        brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
        controllers = sum(
            p["spec"]["replicas"] for p in pools if "controller" in p["spec"]["roles"]
        )
        assert brokers >= 1 and controllers % 2 == 1, "KRaft needs an odd quorum"
        config = r.get("Kafka", "kamkor")["spec"]["kafka"]["config"]
        for t in r.of_kind("KafkaTopic"):
            assert t["metadata"]["labels"]["strimzi.io/cluster"] == "kamkor"
            assert config["min.insync.replicas"] <= t["spec"]["replicas"] <= brokers
        assert "zookeeper" not in r.get("Kafka", "kamkor")["spec"]
        assert {d["apiVersion"] for d in [*pools, *r.of_kind("KafkaTopic")]} == {
            "kafka.strimzi.io/v1"
        }

    def test_the_topic_operator_watches_the_topics_namespace(self, rendered, overlay):
        r = rendered[overlay]
        watched = r.get("Kafka", "kamkor")["spec"]["entityOperator"]["topicOperator"]
        namespaces = {t["metadata"]["namespace"] for t in r.of_kind("KafkaTopic")}
        assert namespaces == {watched["watchedNamespace"]}

    def test_services_reach_the_brokers_strimzi_names(self, rendered, overlay):
        r = rendered[overlay]
        listener = r.get("Kafka", "kamkor")["spec"]["kafka"]["listeners"][0]
        bootstrap = r.get("ConfigMap", "kamkor-env")["data"]["KAMKOR_KAFKA_BOOTSTRAP_SERVERS"]
        assert bootstrap == f"kamkor-kafka-bootstrap:{listener['port']}"


def test_workers_never_outnumber_the_partitions_they_consume(rendered):
    """A consumer beyond the partitions gets none and may never rejoin (STYLE pitfalls)."""
    r = rendered["prod"]
    for service, specs in _consumers().items():
        worker = r.get("Deployment", f"{service}-worker")
        replicas = worker["spec"]["replicas"]
        for spec in specs:
            fewest = min(topics.PARTITIONS[t] for t in spec.topics)
            assert replicas <= fewest, f"{service}-worker: {replicas} > {fewest} ({spec.group_id})"
        # A rollout must not briefly add one more.
        assert worker["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
