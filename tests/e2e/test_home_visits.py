"""A home visit recorded in the registry is screened by the risk service on its own: no
screening call. A visit that notes an eviction in four days ends in a shelter referral;
one to children whose parents both work abroad, left with a grandmother of 72, opens a
caregiving flag from the facts the registry already holds."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

import httpx
import pytest

from kamkor_common.reference.regions import local_today
from kamkor_common.testing import OtlpReceiver, dev_token, wait_until
from kamkor_gateway.devrun import Platform

REGION, DISTRICT = "KG-J", "KG-J-06"


def _member(role: str, family_name: str, given_name: str, sex: str, born: str) -> dict[str, Any]:
    return {
        "role": role,
        "family_name": family_name,
        "given_name": given_name,
        "sex": sex,
        "birth_date": born,
    }


def _visit(observations: dict[str, Any]) -> dict[str, Any]:
    today = local_today()
    return {
        "round": f"{today.year}-H{1 if today.month <= 6 else 2}",
        "visited_on": today.isoformat(),
        "observations": observations,
        "notes": "The family was at home.",
    }


@pytest.fixture
async def api(platform: Platform) -> Any:
    token = dev_token("social_worker", region=REGION, districts=[DISTRICT])
    async with httpx.AsyncClient(
        base_url=platform.gateway_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


async def _register(api: httpx.AsyncClient, members: list[dict[str, Any]]) -> dict[str, Any]:
    created = await api.post(
        "/api/v1/registry/households",
        json={
            "region": REGION,
            "district": DISTRICT,
            "settlement": "Bazar-Korgon",
            "address": "Lenin st. 40",
            "language": "ky",
            "members": members,
        },
    )
    assert created.status_code == 201, created.text
    household: dict[str, Any] = created.json()
    return household


async def _flag(api: httpx.AsyncClient, household_id: str, domain: str) -> dict[str, Any]:
    """The household's open flag in the domain, once the visit has been screened."""
    found: dict[str, Any] = {}

    async def flagged() -> bool:
        response = await api.get(
            "/api/v1/risk/flags",
            params={"household_id": household_id, "status": "open", "domain": domain},
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        if items:
            found.update(items[0])
        return bool(items)

    await wait_until(flagged, timeout_s=60, interval_s=0.1)
    return found


class TestHomeVisits:
    async def test_an_eviction_noted_on_a_visit_gets_a_shelter_referral_without_a_screening_call(
        self, api: httpx.AsyncClient, otlp_receiver: OtlpReceiver
    ) -> None:
        household = await _register(
            api,
            [
                _member("parent", "Токтогулова", "Асель", "female", "1991-05-17"),
                _member("child", "Токтогулов", "Эмир", "male", "2018-11-03"),
            ],
        )
        household_id = household["id"]
        trace_id = secrets.token_hex(16)

        visit = await api.post(
            f"/api/v1/registry/households/{household_id}/visits",
            json=_visit({"eviction_notice_days": 4}),
            headers={
                "traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01",
                "Idempotency-Key": f"visit-{household_id}",
            },
        )
        assert visit.status_code == 201, visit.text
        visit_id = visit.json()["id"]

        flag = await _flag(api, household_id, "housing")
        assert flag["severity"] == "critical"
        screening = await api.get(f"/api/v1/risk/screenings/{flag['last_screening_id']}")
        assert screening.status_code == 200, screening.text
        assert (screening.json()["source"], screening.json()["visit_id"]) == ("visit", visit_id)
        assert screening.json()["answers"] == {"eviction_notice_days": 4}
        housing = next(d for d in screening.json()["domains"] if d["domain"] == "housing")
        assert housing["severity"] == "critical"

        referrals: dict[str, dict[str, Any]] = {}

        async def shelter_referred() -> bool:
            response = await api.get("/api/v1/referrals", params={"household_id": household_id})
            assert response.status_code == 200, response.text
            referrals.clear()
            referrals.update({r["service_type"]: r for r in response.json()["items"]})
            return "temporary_shelter" in referrals

        await wait_until(shelter_referred, timeout_s=60, interval_s=0.1)
        assert referrals["temporary_shelter"]["priority"] == "stat"

        # One trace from the visit's request: the risk service took part through the
        # registry's event, and nobody called the screenings API.
        async def risk_consumed() -> bool:
            names = {(s.service, s.name) for s in otlp_receiver.in_trace(trace_id)}
            return ("risk", "registry.households.v1 process") in names

        await wait_until(risk_consumed, timeout_s=30, interval_s=0.2)
        spans = otlp_receiver.in_trace(trace_id)
        assert not [s for s in spans if "/api/v1/risk/screenings" in s.name], sorted(
            {(s.service, s.name) for s in spans}
        )

    async def test_parents_abroad_and_a_grandmother_of_72_open_a_caregiving_flag(
        self, api: httpx.AsyncClient
    ) -> None:
        grandmother_born = date(local_today().year - 72, 1, 1)  # 72 on any day of the year
        household = await _register(
            api,
            [
                _member("parent", "Жумабаев", "Талант", "male", "1987-02-11"),
                _member("parent", "Жумабаева", "Нургүл", "female", "1989-08-30"),
                _member("grandparent", "Жумабаева", "Бүбүсара", "female", str(grandmother_born)),
                _member("child", "Жумабаев", "Арслан", "male", "2015-04-19"),
            ],
        )
        household_id = household["id"]
        for member in household["members"]:
            if member["role"] != "parent":
                continue
            moved = await api.patch(
                f"/api/v1/registry/persons/{member['person_id']}",
                json={"migration_status": "abroad", "migration_country": "RU"},
                headers={"If-Match": f'"{member["person_version"]}"'},
            )
            assert moved.status_code == 200, moved.text

        # Nothing observed about caregiving: the registry's record says it all.
        visit = await api.post(
            f"/api/v1/registry/households/{household_id}/visits",
            json=_visit({"caregiver_stress": 3}),
        )
        assert visit.status_code == 201, visit.text
        assert visit.json()["facts"] == {"both_parents_abroad": True, "caregiver_age": 72}

        flag = await _flag(api, household_id, "caregiving")
        # Rule set 2026.1: both parents abroad 25 + a caregiver of 65 to 74 20 = 45, medium.
        assert flag["severity"] == "medium"
        screening = await api.get(f"/api/v1/risk/screenings/{flag['last_screening_id']}")
        assert screening.status_code == 200, screening.text
        body = screening.json()
        assert (body["source"], body["visit_id"]) == ("visit", visit.json()["id"])
        caregiving = next(d for d in body["domains"] if d["domain"] == "caregiving")
        assert (caregiving["score"], caregiving["severity"]) == (45, "medium")
        assert {r["indicator"] for r in caregiving["reasons"]} == {
            "both_parents_abroad",
            "caregiver_age",
        }
