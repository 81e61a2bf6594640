"""Every overlay renders, validates strictly, and keeps the workload rules of DESIGN §9."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from kamkor_common.settings import KamkorSettings
from kamkor_gateway.config import GatewaySettings
from kamkor_referral.config import ReferralSettings
from kamkor_registry.config import RegistrySettings
from kamkor_risk.config import RiskSettings
from kamkor_shelter.config import ShelterSettings
from tests.deploy.conftest import OVERLAYS, Rendered, containers, env_of

K8S_VERSION = "1.37.0"
CRD_SCHEMAS = yaml.safe_load((Path(__file__).with_name("crd-schemas.yaml")).read_text())
SETTINGS: dict[str, type[KamkorSettings]] = {
    "registry": RegistrySettings,
    "risk": RiskSettings,
    "referral": ReferralSettings,
    "shelter": ShelterSettings,
    "gateway": GatewaySettings,
}
SERVICES = ("registry", "risk", "referral", "shelter")
WORKLOADS = ("Deployment", "StatefulSet")


def _apps(r: Rendered) -> list[dict[str, Any]]:
    return [
        d
        for d in r.of_kind("Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/name") in SETTINGS
    ]


@pytest.mark.parametrize("overlay", OVERLAYS)
class TestValidation:
    def test_built_in_kinds_pass_strict_schemas(self, rendered, overlay):
        """Strict: an unknown or misspelt field fails, not only a wrong type."""
        unchecked = []
        for doc in rendered[overlay].docs:
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.SchemaNotFoundError:
                unchecked.append(f"{doc['apiVersion']}/{doc['kind']}")
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
        assert set(unchecked) <= set(CRD_SCHEMAS), f"no schema at all for {set(unchecked)}"

    def test_custom_resources_match_their_crd_structure(self, rendered, overlay):
        """Strimzi and CloudNativePG resources against the CRD structure written down here."""
        checked = 0
        for doc in rendered[overlay].docs:
            schema = CRD_SCHEMAS.get(f"{doc['apiVersion']}/{doc['kind']}")
            if schema is None:
                continue
            errors = list(jsonschema.Draft7Validator(schema).iter_errors(doc))
            assert not errors, f"{doc['kind']}/{doc['metadata']['name']}: {errors[0].message}"
            checked += 1
        assert checked >= 4 + 7 + 2  # PostgreSQL clusters, topics, Kafka and a node pool

    def test_an_old_strimzi_api_is_refused_by_the_written_schema(self, rendered, overlay):
        kafka = rendered[overlay].get("Kafka", "kamkor")
        old = {**kafka, "apiVersion": "kafka.strimzi.io/v1beta2"}
        assert f"{old['apiVersion']}/Kafka" not in CRD_SCHEMAS
        with_zookeeper = {**kafka, "spec": {**kafka["spec"], "zookeeper": {"replicas": 3}}}
        schema = CRD_SCHEMAS["kafka.strimzi.io/v1/Kafka"]
        assert list(jsonschema.Draft7Validator(schema).iter_errors(with_zookeeper))

    def test_everything_is_in_the_kamkor_namespace(self, rendered, overlay):
        for doc in rendered[overlay].docs:
            if doc["kind"] != "Namespace":
                assert doc["metadata"].get("namespace") == "kamkor", doc["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
class TestWorkloads:
    def test_every_container_is_locked_down(self, rendered, overlay):
        workloads = [d for kind in WORKLOADS for d in rendered[overlay].of_kind(kind)]
        assert len(workloads) >= 9
        for w in workloads:
            pod = w["spec"]["template"]["spec"]
            name = w["metadata"]["name"]
            assert pod["automountServiceAccountToken"] is False, name
            assert pod["securityContext"]["runAsNonRoot"] is True, name
            assert pod["securityContext"]["runAsUser"] >= 10000, name
            assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
            for c in containers(w):
                sc = c["securityContext"]
                assert sc["readOnlyRootFilesystem"] is True, name
                assert sc["allowPrivilegeEscalation"] is False, name
                assert sc["capabilities"]["drop"] == ["ALL"], name
                assert "add" not in sc["capabilities"], name
                assert {"cpu", "memory"} <= set(c["resources"]["requests"]), name
                assert {"cpu", "memory"} <= set(c["resources"]["limits"]), name
                assert c["livenessProbe"] and c["readinessProbe"], name
                assert not c["image"].endswith(":latest") and ":" in c["image"], name

    def test_kamkor_probes_use_the_health_routes(self, rendered, overlay):
        for d in _apps(rendered[overlay]):
            c = d["spec"]["template"]["spec"]["containers"][0]
            assert c["livenessProbe"]["httpGet"]["path"] == "/livez"
            assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"

    def test_every_variable_set_is_a_setting_of_that_process(self, rendered, overlay):
        """A misspelt KAMKOR_ variable would be ignored silently (extra="ignore")."""
        r = rendered[overlay]
        shared = {v for v in r.get("ConfigMap", "kamkor-env")["data"] if v.startswith("KAMKOR_")}
        read_by_someone: set[str] = set()
        for d in _apps(r):
            service = d["metadata"]["labels"]["app.kubernetes.io/name"]
            known = {f"KAMKOR_{f}" for f in SETTINGS[service].model_fields}
            own = {v for v in env_of(d["spec"]["template"]["spec"]["containers"][0])}
            assert {v for v in own if v.startswith("KAMKOR_")} <= known, service
            read_by_someone |= known
        assert shared <= read_by_someone, f"settings no process reads: {shared - read_by_someone}"

    def test_each_service_reads_its_own_postgresql_cluster(self, rendered, overlay):
        r = rendered[overlay]
        clusters = {c["metadata"]["name"] for c in r.of_kind("Cluster")}
        assert clusters == {f"{s}-db" for s in [*SERVICES, "gateway"]}
        for d in _apps(r):
            service = d["metadata"]["labels"]["app.kubernetes.io/name"]
            env = env_of(d["spec"]["template"]["spec"]["containers"][0])
            ref = env["KAMKOR_DATABASE_URL"]["secretKeyRef"]
            assert ref == {"name": f"{service}-db-app", "key": "uri"}

    def test_every_deployment_has_a_disruption_budget(self, rendered, overlay):
        r = rendered[overlay]
        budgets = [p["spec"]["selector"]["matchLabels"] for p in r.of_kind("PodDisruptionBudget")]
        for d in _apps(r):
            assert d["spec"]["selector"]["matchLabels"] in budgets, d["metadata"]["name"]


class TestRoles:
    def test_the_cnpg_uri_reaches_the_async_driver(self):
        """CloudNativePG's `uri` is postgresql://…; the settings turn it into asyncpg."""
        uri = "postgresql://registry:pw@registry-db-rw.kamkor:5432/registry"
        settings = RegistrySettings(DATABASE_URL=uri, ENVIRONMENT="test")
        assert settings.DATABASE_URL.startswith("postgresql+asyncpg://registry:pw@registry-db-rw")

    def test_dev_runs_api_and_workers_in_one_process(self, rendered):
        r = rendered["dev"]
        assert not r.of_kind("HorizontalPodAutoscaler")
        for s in SERVICES:
            c = r.get("Deployment", s)["spec"]["template"]["spec"]["containers"][0]
            assert env_of(c)["KAMKOR_ROLE"] == "all"

    def test_prod_splits_api_and_worker(self, rendered):
        r = rendered["prod"]
        for s in SERVICES:
            api = env_of(r.get("Deployment", s)["spec"]["template"]["spec"]["containers"][0])
            worker = r.get("Deployment", f"{s}-worker")
            wenv = env_of(worker["spec"]["template"]["spec"]["containers"][0])
            assert api["KAMKOR_ROLE"] == "api" and wenv["KAMKOR_ROLE"] == "worker"
            # Only the workers migrate: API replicas starting together would race.
            assert api["KAMKOR_MIGRATE_ON_START"] == "false"
            assert "KAMKOR_MIGRATE_ON_START" not in wenv
            labels = worker["spec"]["template"]["metadata"]["labels"]
            assert labels["app.kubernetes.io/component"] == "worker"
        service_selectors = [s["spec"]["selector"] for s in r.of_kind("Service")]
        assert all(sel.get("app.kubernetes.io/component") != "worker" for sel in service_selectors)

    def test_prod_autoscales_the_api_roles_only(self, rendered):
        r = rendered["prod"]
        targets = {
            h["spec"]["scaleTargetRef"]["name"] for h in r.of_kind("HorizontalPodAutoscaler")
        }
        assert targets == {*SERVICES, "gateway"}
        for name in targets:
            d = r.get("Deployment", name)
            assert d["metadata"]["labels"]["app.kubernetes.io/component"] == "api"

    def test_prod_needs_secrets_from_outside_and_dev_brings_its_own(self, rendered):
        assert not rendered["prod"].of_kind("Secret")
        dev_secrets = {
            s["metadata"]["name"].rsplit("-", 1)[0] for s in rendered["dev"].of_kind("Secret")
        }
        assert dev_secrets == {"kamkor-jwt", "kamkor-webhooks", "grafana-admin"}
        assert (
            rendered["prod"].get("ConfigMap", "kamkor-env")["data"]["KAMKOR_ENVIRONMENT"] == "prod"
        )

    def test_the_gateway_ingress_serves_tls(self, rendered):
        for overlay in OVERLAYS:
            ingress = rendered[overlay].get("Ingress", "gateway")["spec"]
            hosts = {rule["host"] for rule in ingress["rules"]}
            assert hosts <= set(ingress["tls"][0]["hosts"]) and ingress["tls"][0]["secretName"]
            backend = ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]
            assert backend["name"] == "gateway"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_starts_on_the_settings_its_manifest_gives(rendered, overlay, monkeypatch):
    """Settings that refuse to start in prod (a dev key, no JWKS) are set by the manifests:
    each process's settings validate from its rendered environment, secrets as stand-ins."""
    r = rendered[overlay]
    shared = r.get("ConfigMap", "kamkor-env")["data"]
    for d in _apps(r):
        service = d["metadata"]["labels"]["app.kubernetes.io/name"]
        for name in [n for n in os.environ if n.startswith("KAMKOR_")]:
            monkeypatch.delenv(name)
        env = dict(shared)
        for name, value in env_of(d["spec"]["template"]["spec"]["containers"][0]).items():
            if isinstance(value, str):
                env[name] = value
            elif value.get("secretKeyRef", {}).get("key") == "uri":
                env[name] = f"postgresql://{service}:pw@{service}-db-rw:5432/{service}"
            elif "secretKeyRef" in value:
                env[name] = f"stand-in for {value['secretKeyRef']['name']}"
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            SETTINGS[service]()
        except ValueError as exc:
            pytest.fail(f"{overlay}/{d['metadata']['name']} would not start: {exc}")
