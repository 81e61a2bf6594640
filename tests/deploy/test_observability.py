"""Dashboards, alerts and telemetry wiring use the catalogued metrics and link traces."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.deploy.conftest import K8S, ROOT

OBS = K8S / "base" / "observability"
DASHBOARDS = sorted((OBS / "grafana" / "dashboards").glob("*.json"))
RULES = OBS / "prometheus" / "kamkor.rules.yaml"
SUFFIXES = ("_bucket", "_count", "_sum")
# PromQL words that look like metric names but are functions, keywords or label names.
NOT_METRICS = {
    "sum",
    "max",
    "min",
    "avg",
    "rate",
    "increase",
    "delta",
    "deriv",
    "topk",
    "histogram_quantile",
    "by",
    "without",
    "and",
    "or",
    "unless",
    "offset",
    "le",
    "count",
}


def _catalogue() -> dict[str, str]:
    """Metric name -> type, from docs/metrics.md's table."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| (histogram|gauge|counter) \|", text, re.MULTILINE)
    return dict(rows)


def _metrics_in(expr: str) -> set[str]:
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(?:by|without)\s*\([^)]*\)", "", expr)  # grouping labels
    words = set(re.findall(r"\b[a-z_][a-z0-9_]*\b", expr))
    return {w for w in words - NOT_METRICS if "_" in w}


def _base_name(metric: str, catalogue: dict[str, str]) -> str:
    if metric in catalogue:
        return metric
    for suffix in SUFFIXES:
        base = metric.removesuffix(suffix)
        if base != metric and catalogue.get(base) == "histogram":
            return base
    return metric


def _dashboard_exprs() -> dict[str, list[str]]:
    return {
        d.stem: [t["expr"] for p in json.loads(d.read_text())["panels"] for t in p["targets"]]
        for d in DASHBOARDS
    }


def _rule_exprs() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {r["alert"]: r["expr"] for g in groups for r in g["rules"]}


def test_the_catalogue_lists_the_agreed_metrics_with_types():
    catalogue = _catalogue()
    assert catalogue["http_server_request_duration_seconds"] == "histogram"
    assert catalogue["kamkor_consumer_events_total"] == "counter"
    assert catalogue["kamkor_referral_unassigned_oldest_age_seconds"] == "gauge"
    assert len(catalogue) == 12
    for name, kind in catalogue.items():
        assert name.endswith("_total") == (kind == "counter"), name


def test_the_extractor_finds_metric_names_only():
    expr = 'histogram_quantile(0.95, sum by (service_name, le) (rate(a_b_bucket{x="1"}[5m])))'
    assert _metrics_in(expr) == {"a_b_bucket"}
    assert _metrics_in("sum by (status) (kamkor_referrals) > 0") == {"kamkor_referrals"}


@pytest.mark.parametrize("dashboard", [d.stem for d in DASHBOARDS])
def test_dashboard_queries_use_catalogued_metrics(dashboard):
    catalogue = _catalogue()
    exprs = _dashboard_exprs()[dashboard]
    assert exprs
    for expr in exprs:
        used = {_base_name(m, catalogue) for m in _metrics_in(expr)}
        assert used and used <= set(catalogue), f"{dashboard}: {used - set(catalogue)} in {expr}"


def test_the_dashboards_together_show_every_catalogued_metric():
    catalogue = _catalogue()
    shown = {
        _base_name(m, catalogue)
        for exprs in _dashboard_exprs().values()
        for e in exprs
        for m in _metrics_in(e)
    }
    assert shown == set(catalogue)


def test_dashboards_read_the_provisioned_prometheus_and_have_fixed_uids():
    uids = set()
    for d in DASHBOARDS:
        board = json.loads(d.read_text())
        uids.add(board["uid"])
        for p in board["panels"]:
            assert p["datasource"]["uid"] == "prometheus"
    assert uids == {"kamkor-platform", "kamkor-referrals", "kamkor-messaging"}


def test_alert_rules_use_catalogued_metrics_and_cover_the_required_alerts():
    catalogue = _catalogue()
    rules = _rule_exprs()
    required = {
        "KamkorOutboxBacklogGrowing",
        "KamkorConsumerStalled",
        "KamkorDeadLetters",
        "KamkorStatReferralUnassigned",
        "KamkorWebhookEndpointDisabled",
    }
    assert required <= set(rules)
    for alert, expr in rules.items():
        used = {_base_name(m, catalogue) for m in _metrics_in(expr)}
        assert used and used <= set(catalogue), f"{alert}: {used - set(catalogue)}"
    assert "900" in rules["KamkorStatReferralUnassigned"]
    assert 'priority="stat"' in rules["KamkorStatReferralUnassigned"]


def test_grafana_links_traces_and_metrics_both_ways():
    sources = yaml.safe_load((OBS / "grafana" / "datasources.yaml").read_text())["datasources"]
    by_uid = {s["uid"]: s for s in sources}
    prometheus, tempo = by_uid["prometheus"], by_uid["tempo"]
    assert prometheus["url"] == "http://prometheus:9090" and tempo["url"] == "http://tempo:3200"
    exemplar = prometheus["jsonData"]["exemplarTraceIdDestinations"][0]
    assert exemplar == {"name": "trace_id", "datasourceUid": "tempo"}
    assert tempo["jsonData"]["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert tempo["jsonData"]["serviceMap"]["datasourceUid"] == "prometheus"
    for q in tempo["jsonData"]["tracesToMetrics"]["queries"]:
        # `$$` is how a provisioning file writes Grafana's `$__tags`.
        assert "$$__tags" in q["query"]
        assert {
            _base_name(m, _catalogue()) for m in _metrics_in(q["query"].replace("$$__tags", ""))
        } <= set(_catalogue())


def test_the_collector_sends_traces_to_tempo_and_metrics_to_prometheus():
    config = yaml.safe_load((OBS / "otel-collector-config.yaml").read_text())
    pipelines = config["service"]["pipelines"]
    assert pipelines["traces"]["exporters"] == ["otlp/tempo"]
    assert pipelines["metrics"]["exporters"] == ["prometheus"]
    assert config["exporters"]["otlp/tempo"]["endpoint"] == "tempo:4317"
    prom = config["exporters"]["prometheus"]
    assert prom["resource_to_telemetry_conversion"]["enabled"] is True  # service_name label
    assert prom["enable_open_metrics"] is True  # exemplars
    scrape = yaml.safe_load((OBS / "prometheus" / "prometheus.yml").read_text())
    targets = [
        t for job in scrape["scrape_configs"] for s in job["static_configs"] for t in s["targets"]
    ]
    assert prom["endpoint"].replace("0.0.0.0", "otel-collector") in targets
    tempo = yaml.safe_load((OBS / "tempo-config.yaml").read_text())
    write = tempo["metrics_generator"]["storage"]["remote_write"][0]
    assert write["url"] == "http://prometheus:9090/api/v1/write" and write["send_exemplars"]
    assert "service-graphs" in tempo["overrides"]["defaults"]["metrics_generator"]["processors"]


def test_services_export_to_the_collector(rendered):
    for overlay, r in rendered.items():
        env = r.get("ConfigMap", "kamkor-env")["data"]
        assert env["KAMKOR_OTLP_ENDPOINT"] == "http://otel-collector:4318", overlay
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == env["KAMKOR_OTLP_ENDPOINT"]


def test_prometheus_mounts_the_tested_rules(rendered):
    r = rendered["prod"]
    rules = next(
        c for c in r.of_kind("ConfigMap") if c["metadata"]["name"].startswith("prometheus-rules")
    )
    assert yaml.safe_load(rules["data"]["kamkor.rules.yaml"]) == yaml.safe_load(RULES.read_text())
    assert Path(OBS / "prometheus" / "kamkor.rules.test.yaml").is_file()
