from __future__ import annotations

import pytest

PROBLEM_JSON = "application/problem+json"


class TestReadFamily:
    async def test_composes_household_flags_and_referrals(self, gateway, auth):
        response = await gateway.get("/api/v1/families/h-1", headers=auth)

        assert response.status_code == 200, response.text
        family = response.json()
        assert family["household"] == {"id": "h-1", "region": "KG-J", "note": {"text": "ok"}}
        assert family["flags"] == [
            {"household_id": "h-1", "domain": "housing", "note": {"score": 90}}
        ]
        assert family["referrals"] == [{"household_id": "h-1", "service_type": "legal_aid"}]
        assert family["partial"] == []

    async def test_asks_each_service_with_the_callers_token(self, gateway, auth, fakes):
        await gateway.get("/api/v1/families/h-token", headers=auth)

        calls = {
            name: [r for r in fakes[name].received if "h-token" in r["path"] + r["query"]]
            for name in ("registry", "risk", "referral")
        }
        assert calls["registry"][0]["path"] == "/api/v1/registry/households/h-token"
        assert "household_id=h-token" in calls["risk"][0]["query"]
        assert calls["risk"][0]["path"] == "/api/v1/risk/flags"
        assert "household_id=h-token" in calls["referral"][0]["query"]
        for name, seen in calls.items():
            assert seen[0]["headers"]["authorization"] == auth["Authorization"], name

    async def test_unknown_household_is_404_household_not_found(self, gateway, auth):
        response = await gateway.get("/api/v1/families/missing", headers=auth)

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "household_not_found"

    async def test_registry_refusal_is_passed_on(self, gateway, auth):
        response = await gateway.get("/api/v1/families/forbidden", headers=auth)

        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
        assert response.json()["service"] == "registry"

    @pytest.mark.parametrize(
        ("household_id", "partial"),
        [
            ("fail-flags-1", ["flags"]),
            ("fail-referrals-1", ["referrals"]),
            ("fail-both", ["flags", "referrals"]),
        ],
    )
    async def test_failing_part_is_null_and_named(self, gateway, auth, household_id, partial):
        response = await gateway.get(f"/api/v1/families/{household_id}", headers=auth)

        assert response.status_code == 200
        family = response.json()
        assert family["household"]["id"] == household_id
        assert family["partial"] == partial
        for part in ("flags", "referrals"):
            assert (family[part] is None) == (part in partial)

    async def test_referral_service_down_is_partial(self, degraded_gateway, auth):
        response = await degraded_gateway.get("/api/v1/families/h-2", headers=auth)

        assert response.status_code == 200
        assert response.json()["referrals"] is None
        assert response.json()["flags"][0]["domain"] == "housing"
        assert response.json()["partial"] == ["referrals"]

    async def test_needs_a_token(self, gateway):
        response = await gateway.get("/api/v1/families/h-1")

        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    async def test_registry_down_is_503(self, start_gateway, unused_url, auth):
        async with start_gateway({"registry": unused_url()}) as client:
            response = await client.get("/api/v1/families/h-1", headers=auth)

        assert response.status_code == 503
        assert response.json()["code"] == "upstream_unavailable"
        assert response.json()["service"] == "registry"

    async def test_parts_are_fetched_at_the_same_time(self, start_gateway, start_fake, auth):
        async with (
            start_fake("registry", delay_s=0.4) as registry,
            start_fake("risk", delay_s=0.4) as risk,
            start_fake("referral", delay_s=0.4) as referral,
        ):
            urls = {"registry": registry.url, "risk": risk.url, "referral": referral.url}
            async with start_gateway(urls) as client:
                response = await client.get("/api/v1/families/h-slow", headers=auth)

        assert response.status_code == 200
        assert response.json()["partial"] == []
        # At the same time: every part had begun before any of them ended.
        spans = [span for fake in (registry, risk, referral) for span in fake.spans]
        assert len(spans) == 3
        assert max(began for began, _ in spans) < min(ended for _, ended in spans)

    async def test_a_non_ascii_accept_language_reaches_every_service_unchanged(
        self, gateway, auth, fakes
    ):
        headers = [
            (b"authorization", auth["Authorization"].encode()),
            (b"accept-language", "кыргызча".encode()),
        ]

        response = await gateway.get("/api/v1/families/h-lang", headers=headers)

        assert response.status_code == 200, response.text
        for name in ("registry", "risk", "referral"):
            call = next(r for r in fakes[name].received if "h-lang" in r["path"] + r["query"])
            assert call["headers"]["accept-language"].encode("latin-1") == "кыргызча".encode()
