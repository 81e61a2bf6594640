"""`GET /api/v1/risk/rule-sets/active`."""

from __future__ import annotations

import httpx

from tests.risk.conftest import auth


class TestActiveRuleSet:
    async def test_publishes_the_active_rule_set_as_written(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        response = await risk_client.get("/api/v1/risk/rule-sets/active", headers=auth())

        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "2026.1"
        assert body["severity_thresholds"] == {"low": 1, "medium": 30, "high": 55, "critical": 80}
        homeless = next(
            r for r in body["domains"]["housing"]["rules"] if r["indicator"] == "homeless_now"
        )
        assert homeless == {"indicator": "homeless_now", "when": {"is": True}, "points": 100}
        triggers = {(t["indicator"], t["domain"], t["severity"]) for t in body["hard_triggers"]}
        assert ("eviction_notice_days", "housing", "critical") in triggers
