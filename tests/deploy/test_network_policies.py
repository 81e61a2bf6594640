"""Default deny, and exactly the paths Kamkor needs: the rendered policies walked as a matrix.

A small evaluator of NetworkPolicy semantics: traffic flows when an egress rule of a
policy selecting the source and an ingress rule of a policy selecting the destination
both admit it (a pod no policy selects is open). Kafka's ingress is the policy Strimzi
writes from the listener's networkPolicyPeers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.deploy.conftest import OVERLAYS, Rendered

NS = "kamkor"
SERVICES = {"registry": 8001, "risk": 8002, "referral": 8003, "shelter": 8004}


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str | None  # None: an address outside the cluster (ipBlock)
    labels: dict[str, str] = field(default_factory=dict)


def _matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for e in selector.get("matchExpressions", []):
        value, present = labels.get(e["key"]), e["key"] in labels
        ok = {
            "In": present and value in e.get("values", []),
            "NotIn": not present or value not in e.get("values", []),
            "Exists": present,
            "DoesNotExist": not present,
        }[e["operator"]]
        if not ok:
            return False
    return True


def _peer_admits(peer: dict[str, Any], pod: Pod, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        return pod.namespace is None
    if pod.namespace is None:
        return False
    if "namespaceSelector" in peer:
        ns_labels = {"kubernetes.io/metadata.name": pod.namespace}
        if not _matches(peer["namespaceSelector"], ns_labels):
            return False
    elif pod.namespace != policy_ns:
        return False
    return _matches(peer.get("podSelector", {}), pod.labels)


def _port_admits(rule: dict[str, Any], port: int, protocol: str) -> bool:
    ports = rule.get("ports")
    return not ports or any(
        p.get("port") in (None, port) and p.get("protocol", "TCP") == protocol for p in ports
    )


class Network:
    def __init__(self, rendered: Rendered) -> None:
        self.policies = rendered.of_kind("NetworkPolicy")
        listener = rendered.get("Kafka", "kamkor")["spec"]["kafka"]["listeners"][0]
        self.kafka_port = listener["port"]
        self.kafka_peers = listener["networkPolicyPeers"]
        self.pods: dict[str, Pod] = {}
        for kind in ("Deployment", "StatefulSet"):
            for w in rendered.of_kind(kind):
                labels = w["spec"]["template"]["metadata"]["labels"]
                self.pods[w["metadata"]["name"]] = Pod(w["metadata"]["name"], NS, labels)
        for c in rendered.of_kind("Cluster"):
            name = c["metadata"]["name"]
            self.pods[name] = Pod(
                name, NS, {"cnpg.io/cluster": name, "cnpg.io/instanceRole": "primary"}
            )
        kafka = {"strimzi.io/cluster": "kamkor", "strimzi.io/kind": "Kafka"}
        self.pods["kafka"] = Pod("kafka", NS, {**kafka, "strimzi.io/name": "kamkor-kafka"})
        self.pods["entity-operator"] = Pod(
            "entity-operator", NS, {**kafka, "strimzi.io/name": "kamkor-entity-operator"}
        )
        self.pods["ingress-controller"] = Pod(
            "ingress-controller", "ingress-nginx", {"app.kubernetes.io/name": "ingress-nginx"}
        )
        self.pods["kube-dns"] = Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"})
        self.pods["cnpg-operator"] = Pod("cnpg-operator", "cnpg-system", {})
        self.pods["internet"] = Pod("internet", None)

    def _side(self, pod: Pod, direction: str, other: Pod, port: int, protocol: str) -> bool:
        if pod.namespace != NS:
            return True  # only Kamkor's namespace is under these policies
        if direction == "ingress" and pod.name == "kafka":
            if port == self.kafka_port:
                return any(_peer_admits(p, other, NS) for p in self.kafka_peers)
            # Strimzi's own policy: the control plane and replication ports, its pods only.
            return port in (9090, 9091) and other.labels.get("strimzi.io/cluster") == "kamkor"
        key = "Ingress" if direction == "ingress" else "Egress"
        peers_key = "from" if direction == "ingress" else "to"
        selecting = [
            p
            for p in self.policies
            if key in p["spec"]["policyTypes"] and _matches(p["spec"]["podSelector"], pod.labels)
        ]
        if not selecting:
            return True
        return any(
            _port_admits(rule, port, protocol)
            and (peers_key not in rule or any(_peer_admits(x, other, NS) for x in rule[peers_key]))
            for p in selecting
            for rule in p["spec"].get(direction, [])
        )

    def allows(self, src: str, dst: str, port: int, protocol: str = "TCP") -> bool:
        s, d = self.pods[src], self.pods[dst]
        return self._side(s, "egress", d, port, protocol) and self._side(
            d, "ingress", s, port, protocol
        )


def _roles(overlay: str, service: str) -> list[str]:
    return [service, f"{service}-worker"] if overlay == "prod" else [service]


@pytest.fixture(scope="module", params=OVERLAYS)
def net(request, rendered) -> tuple[str, Network]:
    return request.param, Network(rendered[request.param])


def test_a_pod_without_a_specific_policy_reaches_nothing(net):
    _, n = net
    deny = [p for p in n.policies if p["metadata"]["name"] == "default-deny-all"]
    assert deny and deny[0]["spec"]["podSelector"] == {}
    assert set(deny[0]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert not n.allows("grafana", "registry", 8001)
    assert not n.allows("grafana", "internet", 443)
    assert not n.allows("internet", "gateway", 8000)


def test_only_the_ingress_controller_and_the_services_reach_the_gateway(net):
    overlay, n = net
    assert n.allows("ingress-controller", "gateway", 8000)
    # The services fetch the gateway's JWKS (partner systems' tokens, decision 17).
    for service in SERVICES:
        for pod in _roles(overlay, service):
            assert n.allows(pod, "gateway", 8000)
    for pod in ("grafana", "tempo", "otel-collector"):
        assert not n.allows(pod, "gateway", 8000), pod
    for service, port in SERVICES.items():
        assert not n.allows("ingress-controller", service, port)
    assert not n.allows("ingress-controller", "grafana", 3000)


def test_the_gateway_reaches_every_service_api_and_nothing_else(net):
    overlay, n = net
    for service, port in SERVICES.items():
        assert n.allows("gateway", service, port)
        if overlay == "prod":
            assert not n.allows("gateway", f"{service}-worker", port)
        assert not n.allows("gateway", f"{service}-db", 5432)
        assert not n.allows(service, "gateway-db", 5432)
    assert n.allows("gateway", "gateway-db", 5432)
    assert not n.allows("gateway", "kafka", 9092)


def test_only_risk_and_referral_call_another_service(net):
    overlay, n = net
    for caller in ("risk", "referral"):
        for pod in _roles(overlay, caller):
            assert n.allows(pod, "registry", 8001)
    for caller, callee in [
        ("shelter", "registry"),
        ("registry", "risk"),
        ("risk", "referral"),
        ("referral", "shelter"),
        ("shelter", "referral"),
    ]:
        for pod in _roles(overlay, caller):
            assert not n.allows(pod, callee, SERVICES[callee]), f"{pod} -> {callee}"


def test_each_service_reaches_its_own_database_only(net):
    overlay, n = net
    for service in SERVICES:
        for pod in _roles(overlay, service):
            for other in SERVICES:
                assert n.allows(pod, f"{other}-db", 5432) == (other == service), (pod, other)
    assert n.allows("cnpg-operator", "registry-db", 8000)
    assert n.allows("registry-db", "internet", 443)  # the Kubernetes API
    assert not n.allows("registry-db", "internet", 80)


def test_services_reach_kafka_and_nothing_else_does(net):
    overlay, n = net
    for service in SERVICES:
        for pod in _roles(overlay, service):
            assert n.allows(pod, "kafka", 9092)
    for pod in ("gateway", "grafana", "prometheus", "tempo", "otel-collector"):
        assert not n.allows(pod, "kafka", 9092)
    assert n.allows("entity-operator", "kafka", 9091)
    assert not n.allows("registry", "kafka", 9091)
    assert n.allows("entity-operator", "internet", 6443)


def test_telemetry_flows_collector_to_tempo_and_prometheus(net):
    overlay, n = net
    for service in [*SERVICES, "gateway"]:
        for pod in _roles(overlay, service) if service != "gateway" else ["gateway"]:
            assert n.allows(pod, "otel-collector", 4318)
    assert n.allows("otel-collector", "tempo", 4317)
    assert n.allows("prometheus", "otel-collector", 8889)
    assert n.allows("tempo", "prometheus", 9090)
    assert n.allows("grafana", "prometheus", 9090)
    assert n.allows("grafana", "tempo", 3200)
    assert not n.allows("registry", "prometheus", 9090)
    assert not n.allows("otel-collector", "internet", 443)


def test_every_pod_resolves_names(net):
    _, n = net
    for name, pod in n.pods.items():
        if pod.namespace == NS:
            assert n.allows(name, "kube-dns", 53, "UDP"), name
