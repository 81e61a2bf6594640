"""Debian's Prometheus scrapes the running platform: the dashboards' queries return data.

The same dashboards and alert rules as deploy/k8s ships, evaluated by a real Prometheus
against the five processes' `/metrics` pages after a family's path through the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from kamkor_common.messaging.broker import free_port
from kamkor_common.testing import dev_token, wait_until
from kamkor_gateway.devrun import SERVICES, Platform

OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy/k8s/base/observability"
DASHBOARDS = sorted((OBSERVABILITY / "grafana/dashboards").glob("*.json"))
RULES = OBSERVABILITY / "prometheus/kamkor.rules.yaml"

HOUSEHOLD = {
    "region": "KG-J",
    "district": "KG-J-06",
    "settlement": "Suzak",
    "address": "Lenin st. 3",
    "language": "ru",
    "members": [
        {
            "role": "parent",
            "family_name": "Осмонова",
            "given_name": "Жылдыз",
            "sex": "female",
            "birth_date": "1990-05-12",
        },
        {
            "role": "child",
            "family_name": "Осмонов",
            "given_name": "Эмир",
            "sex": "male",
            "birth_date": "2019-02-03",
        },
    ],
}

# Queries that are empty until something happens that this path does not do; each says
# what. Every other query of every dashboard must return data.
EMPTY_UNTIL = {
    "5..": "a server error: the ratio has no numerator while there are none",
    "kamkor_partner_response_seconds": "a partner's answer or a missed deadline",
    "kamkor_webhook_": "a partner webhook endpoint",
}


def _prometheus_binary() -> str:
    found = shutil.which("prometheus") or (
        "/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None
    )
    if found is None:
        if os.environ.get("KAMKOR_DEPLOY_TOOLS_OPTIONAL") == "1":
            pytest.skip("prometheus is not installed (make deploy-tools)")
        pytest.fail("prometheus is not installed: run `make deploy-tools`")
    return found


def _dashboard_queries() -> list[tuple[str, str]]:
    queries = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    queries.append((f"{path.stem}: {panel['title']}", target["expr"]))
    return queries


@pytest.fixture
def prometheus(platform: Platform, tmp_path: Path) -> Iterator[str]:
    """Prometheus scraping each process every second, with Kamkor's alert rules loaded."""
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(RULES)],
        "scrape_configs": [
            {
                "job_name": name,
                "static_configs": [
                    {
                        "targets": [f"127.0.0.1:{platform.ports[name]}"],
                        # What the collector's `service.name` becomes in the cluster.
                        "labels": {"service_name": name},
                    }
                ],
            }
            for name in (*SERVICES, "gateway")
        ],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    process = subprocess.Popen(
        [
            _prometheus_binary(),
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()


async def _query(client: httpx.AsyncClient, expr: str) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/query", params={"query": expr})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


async def _a_family_in_crisis(platform: Platform) -> None:
    """A household screened for an eviction: flag, referrals, a held bed, and reads."""
    token = dev_token("social_worker", region="KG-J", districts=["KG-J-06"])
    async with httpx.AsyncClient(
        base_url=platform.gateway_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    ) as api:
        created = await api.post("/api/v1/registry/households", json=HOUSEHOLD)
        assert created.status_code == 201, created.text
        household_id = created.json()["id"]
        screening = await api.post(
            "/api/v1/risk/screenings",
            json={"household_id": household_id, "answers": {"eviction_notice_days": 3}},
        )
        assert screening.status_code == 201, screening.text

        async def referred() -> bool:
            page = await api.get("/api/v1/referrals", params={"household_id": household_id})
            return page.status_code == 200 and len(page.json()["items"]) >= 2

        await wait_until(referred, timeout_s=30, interval_s=0.2)
        assert (await api.get("/api/v1/registry/households/unknown")).status_code in (404, 422)


class TestPrometheusScrape:
    async def test_every_dashboard_query_returns_data_and_every_rule_evaluates(
        self, platform: Platform, prometheus: str
    ) -> None:
        await _a_family_in_crisis(platform)
        queries = _dashboard_queries()
        assert len(queries) >= 15
        async with httpx.AsyncClient(base_url=prometheus, timeout=10) as client:

            async def scraping_everyone() -> bool:
                with contextlib.suppress(httpx.HTTPError):
                    targets = (await client.get("/api/v1/targets")).json()["data"]
                    healthy = {
                        t["labels"]["service_name"]
                        for t in targets["activeTargets"]
                        if t["health"] == "up"
                    }
                    return healthy == {*SERVICES, "gateway"}
                return False

            await wait_until(scraping_everyone, timeout_s=30, interval_s=0.5)

            async def gauges_refreshed() -> bool:
                # The referral worker's gauges come from a query every KAMKOR_METRICS_INTERVAL_S.
                return bool(await _query(client, "kamkor_referrals > 0")) and bool(
                    await _query(client, "kamkor_flag_to_referral_seconds_count > 0")
                )

            await wait_until(gauges_refreshed, timeout_s=30, interval_s=0.5)
            await asyncio.sleep(3)  # a few more scrapes: rate() needs two samples

            empty = {}
            for title, expr in queries:
                if not await _query(client, expr):
                    empty[title] = expr
            expected = {
                title: expr
                for title, expr in queries
                if any(re.search(re.escape(marker), expr) for marker in EMPTY_UNTIL)
            }
            assert empty.keys() <= expected.keys(), empty
            # The rest answered; the core of each dashboard among them.
            answered = {title for title, _ in queries} - empty.keys()
            assert any(t.startswith("platform") for t in answered)
            assert any(t.startswith("referrals") for t in answered)
            assert any(t.startswith("messaging") for t in answered)

            by_route = "sum by (http_route) (http_server_request_duration_seconds_count{%s})"
            routes = await _query(client, by_route % 'service_name="risk"')
            assert "/api/v1/risk/screenings" in {r["metric"].get("http_route") for r in routes}

            groups = (await client.get("/api/v1/rules")).json()["data"]["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            assert len(rules) >= 5
            assert {rule["health"] for rule in rules} == {"ok"}, [
                (rule["name"], rule.get("lastError")) for rule in rules if rule["health"] != "ok"
            ]
            firing = {rule["name"] for rule in rules if rule["state"] == "firing"}
            assert "KamkorDeadLetters" not in firing
