"""A family in Jalal-Abad facing eviction in five days gets a shelter referral with a held
bed and a legal-aid referral, on real processes, and the operator sees one trace."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

from kamkor_common.testing import OtlpReceiver, dev_token, wait_until
from kamkor_gateway.devrun import Platform

HOUSEHOLD = {
    "region": "KG-J",
    "district": "KG-J-06",
    "settlement": "Suzak",
    "address": "Toktogul st. 12",
    "language": "ky",
    "members": [
        {
            "role": "parent",
            "family_name": "Адылбекова",
            "given_name": "Айдай",
            "sex": "female",
            "birth_date": "1994-03-02",
        },
        {
            "role": "child",
            "family_name": "Адылбеков",
            "given_name": "Нурлан",
            "sex": "male",
            "birth_date": "2017-09-14",
        },
        {
            "role": "child",
            "family_name": "Адылбекова",
            "given_name": "Бермет",
            "sex": "female",
            "birth_date": "2021-01-30",
        },
    ],
}


def _covers(service: dict[str, Any], region: str, district: str) -> bool:
    return any(
        (area["kind"] == "country")
        or (area["kind"] == "region" and area["code"] == region)
        or (area["kind"] == "district" and area["code"] == district)
        for area in service["areas"]
    )


async def _availability(api: httpx.AsyncClient) -> dict[str, dict[str, int]]:
    response = await api.get("/api/v1/shelters", params={"limit": 500})
    assert response.status_code == 200, response.text
    return {
        shelter["id"]: {c["category"]: c["available"] for c in shelter["categories"]}
        for shelter in response.json()["items"]
    }


@pytest.fixture
async def api(platform: Platform) -> Any:
    token = dev_token("social_worker", region="KG-J", districts=["KG-J-06"])
    async with httpx.AsyncClient(
        base_url=platform.gateway_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


class TestWalkingSkeleton:
    async def test_eviction_threat_becomes_stat_shelter_referral_with_held_bed(
        self,
        api: httpx.AsyncClient,
        otlp_receiver: OtlpReceiver,
        record_property: Any,
    ) -> None:
        before = await _availability(api)

        created = await api.post("/api/v1/registry/households", json=HOUSEHOLD)
        assert created.status_code == 201, created.text
        household_id = created.json()["id"]

        trace_id = secrets.token_hex(16)
        traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
        started = time.monotonic()
        screening = await api.post(
            "/api/v1/risk/screenings",
            json={"household_id": household_id, "answers": {"eviction_notice_days": 5}},
            headers={"traceparent": traceparent},
        )
        assert screening.status_code == 201, screening.text
        housing = next(d for d in screening.json()["domains"] if d["domain"] == "housing")
        assert housing["severity"] == "critical"

        referrals: dict[str, dict[str, Any]] = {}

        async def shelter_bed_held() -> bool:
            response = await api.get("/api/v1/referrals", params={"household_id": household_id})
            assert response.status_code == 200, response.text
            referrals.clear()
            referrals.update({r["service_type"]: r for r in response.json()["items"]})
            shelter = referrals.get("temporary_shelter")
            return (
                shelter is not None
                and shelter.get("hold_status") == "held"
                and "legal_aid" in referrals
            )

        await wait_until(shelter_bed_held, timeout_s=60, interval_s=0.05)
        elapsed_ms = (time.monotonic() - started) * 1000
        record_property("screening_to_bed_hold_ms", round(elapsed_ms))
        print(f"\nscreening to held bed: {elapsed_ms:.0f} ms")

        shelter_referral = referrals["temporary_shelter"]
        assert shelter_referral["priority"] == "stat"
        assert shelter_referral["status"] == "requested"
        partner = shelter_referral["partner"]
        assert partner is not None

        organisation = await api.get(f"/api/v1/partners/{partner['organization_id']}")
        assert organisation.status_code == 200, organisation.text
        offered = [
            s for s in organisation.json()["services"] if s["service_type"] == "temporary_shelter"
        ]
        assert offered, "the partner must offer temporary_shelter"
        assert any(_covers(s, "KG-J", "KG-J-06") for s in offered)

        shelter_id = shelter_referral["shelter_id"]
        shelter = await api.get(f"/api/v1/shelters/{shelter_id}")
        assert shelter.status_code == 200, shelter.text
        assert shelter.json()["organization_id"] == partner["organization_id"]
        # The shelter may lie outside the worker's districts: an auditor checks its holds.
        auditor = {"Authorization": f"Bearer {dev_token('auditor')}"}
        holds = await api.get(f"/api/v1/shelters/{shelter_id}/holds", headers=auditor)
        assert holds.status_code == 200, holds.text
        hold = next(h for h in holds.json()["items"] if h["referral_id"] == shelter_referral["id"])
        assert hold["status"] == "held"
        after = await _availability(api)
        category = hold["category"]
        assert after[shelter_id][category] == before[shelter_id][category] - 1

        assert referrals["legal_aid"]["priority"] == "stat"

        family = await api.get(f"/api/v1/families/{household_id}")
        assert family.status_code == 200, family.text
        assert family.json()["household"]["id"] == household_id
        assert {r["service_type"] for r in family.json()["referrals"]} >= {
            "temporary_shelter",
            "legal_aid",
        }
        assert any(f["domain"] == "housing" for f in family.json()["flags"])

        wanted = {"gateway", "risk", "referral", "shelter"}

        async def one_trace() -> bool:
            return wanted <= {s.service for s in otlp_receiver.in_trace(trace_id)}

        try:
            await wait_until(one_trace, timeout_s=20, interval_s=0.2)
        finally:
            spans = otlp_receiver.in_trace(trace_id)
            print("spans in the screening's trace:", sorted({(s.service, s.name) for s in spans}))
        names = {s.name for s in otlp_receiver.in_trace(trace_id)}
        assert "risk.flags.v1 process" in names
        assert "referral.referrals.v1 process" in names
        # Tempo finds the family's traces by its ids: `{ span.kamkor.household_id = "…" }`.
        spans = otlp_receiver.in_trace(trace_id)
        tagged = {
            s.service for s in spans if s.attributes.get("kamkor.household_id") == household_id
        }
        assert {"risk", "referral", "shelter"} <= tagged
        assert shelter_referral["id"] in {s.attributes.get("kamkor.referral_id") for s in spans}
        assert any(s.attributes.get("db.system") == "postgresql" for s in spans)  # SQL spans

        async def metrics_pushed() -> bool:
            received = otlp_receiver.metrics
            return {"risk", "referral"} <= received.get("kamkor.outbox.backlog", set()) and {
                "gateway",
                "risk",
            } <= received.get("http.server.request.duration", set())

        await wait_until(metrics_pushed, timeout_s=20, interval_s=0.2)
