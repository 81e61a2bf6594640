"""Screenings through the API: validation, flags, events, and the late-event registry read."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import risk as risk_events
from kamkor_common.events.topics import RISK_FLAGS
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.producer import Producer
from kamkor_common.reference.regions import local_today
from kamkor_risk.screenings.models import Screening
from tests.risk.conftest import (
    FakeRegistry,
    auth,
    events_for,
    household_registered,
    read_household,
    register_household,
)

SCREENINGS = "/api/v1/risk/screenings"
FLAGS = "/api/v1/risk/flags"


def of_type(events: list[CloudEvent], event_type: str, screening_id: str) -> list[CloudEvent]:
    return [e for e in events if e.type == event_type and e.data["screening_id"] == screening_id]


async def screen(
    client: httpx.AsyncClient, household_id: str, answers: dict[str, Any], **claims: Any
) -> httpx.Response:
    return await client.post(
        SCREENINGS,
        json={"household_id": household_id, "answers": answers},
        headers=auth("social_worker", **claims),
    )


async def count_screenings(database: Database, household_id: str) -> int:
    async with database.sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Screening)
            .where(col(Screening.household_id) == household_id)
        )
    return int(count or 0)


def late_household(region: str = "KG-GB", district: str = "KG-GB-01") -> dict[str, Any]:
    """A registry record the risk service has not heard of through events yet."""
    household_id = str(uuid.uuid4())
    return {
        "id": household_id,
        "region": region,
        "district": district,
        "language": "ru",
        "settlement": "Bishkek",
        "members": [
            {"role": "parent", "birth_date": "1990-01-01"},
            {"role": "child", "birth_date": "2024-03-01"},
        ],
    }


@pytest.fixture
async def household_id(
    risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
) -> str:
    """A Jalal-Abad household known to the risk service through its registered event."""
    today = local_today()
    event = household_registered(children=[date(today.year - 12, 1, 1), date(today.year - 5, 1, 1)])
    household = await register_household(producer, risk_db, event)
    return household.household_id


class TestCreateScreeningValidation:
    async def test_an_unknown_indicator_is_422_naming_it(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        response = await screen(
            risk_client, household_id, {"roof_leaks": True, "eviction_notice_days": 5}
        )

        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_answers"
        assert [e["indicator"] for e in body["errors"]] == ["roof_leaks"]
        assert "roof_leaks" in body["detail"]

    async def test_a_wrong_type_is_422_naming_each_indicator(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        response = await screen(
            risk_client,
            household_id,
            {"eviction_notice_days": "soon", "homeless_now": 1, "caregiver_stress": 12},
        )

        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "invalid_answers"
        assert {e["indicator"]: e["message"] for e in body["errors"]} == {
            "eviction_notice_days": "int answer must be an integer",
            "homeless_now": "bool answer must be true or false",
            "caregiver_stress": "int answer must be at most 10",
        }

    async def test_invalid_answers_store_nothing(
        self, risk_client: httpx.AsyncClient, risk_db: Database, household_id: str
    ) -> None:
        # Valid answers but one: scored alone they would open a flag and store a screening.
        response = await screen(
            risk_client, household_id, {"eviction_notice_days": 5, "homeless_now": "yes"}
        )

        assert response.status_code == 422
        assert response.json()["code"] == "invalid_answers"
        assert await count_screenings(risk_db, household_id) == 0
        flags = await risk_client.get(FLAGS, params={"household_id": household_id}, headers=auth())
        assert flags.json()["total"] == 0

    async def test_a_household_id_must_be_a_uuid(self, risk_client: httpx.AsyncClient) -> None:
        response = await screen(risk_client, "not-an-id", {})

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    @pytest.mark.parametrize("role", ["partner", "analyst", "auditor", "shelter_staff"])
    async def test_only_workers_supervisors_and_admins_screen(
        self, risk_client: httpx.AsyncClient, household_id: str, role: str
    ) -> None:
        response = await risk_client.post(
            SCREENINGS,
            json={"household_id": household_id, "answers": {}},
            headers=auth(role),
        )

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "claims",
        [
            {"role": "social_worker", "region": "KG-O", "districts": ["KG-O-01"]},
            {"role": "social_worker", "region": "KG-J", "districts": ["KG-J-02", "KG-J-03"]},
            {"role": "supervisor", "region": "KG-O"},
        ],
        ids=["worker-of-another-region", "worker-of-another-district", "supervisor-elsewhere"],
    )
    async def test_a_household_outside_the_scope_may_not_be_screened(
        self,
        risk_client: httpx.AsyncClient,
        risk_db: Database,
        household_id: str,
        claims: dict[str, Any],
    ) -> None:
        response = await risk_client.post(
            SCREENINGS,
            json={"household_id": household_id, "answers": {"homeless_now": True}},
            headers=auth(**claims),
        )

        assert response.status_code == 403
        assert response.json()["code"] == "household_out_of_scope"
        assert await count_screenings(risk_db, household_id) == 0

    async def test_a_supervisor_screens_in_any_district_of_their_region(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        response = await risk_client.post(
            SCREENINGS,
            json={"household_id": household_id, "answers": {}},
            headers=auth("supervisor", region="KG-J", districts=()),
        )

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        "claims",
        [
            {"role": "social_worker", "region": "KG-J", "districts": ()},
            {"role": "social_worker", "region": None},
            {"role": "supervisor", "region": None, "districts": ()},
            {"role": "supervisor", "region": None},
        ],
        ids=["worker-no-districts", "worker-no-region", "supervisor-bare", "supervisor-no-region"],
    )
    async def test_a_token_that_does_not_say_where_is_refused(
        self,
        risk_client: httpx.AsyncClient,
        risk_db: Database,
        household_id: str,
        claims: dict[str, Any],
    ) -> None:
        headers = auth(**claims)

        screened = await risk_client.post(
            SCREENINGS,
            json={"household_id": household_id, "answers": {"homeless_now": True}},
            headers=headers,
        )
        flags = await risk_client.get(FLAGS, headers=headers)

        assert (screened.status_code, screened.json()["code"]) == (403, "scope_missing")
        assert (flags.status_code, flags.json()["code"]) == (403, "scope_missing")
        assert await count_screenings(risk_db, household_id) == 0


class TestCreateScreeningFlags:
    async def test_a_flag_opens_updates_and_resolves_with_its_events(
        self, risk_client: httpx.AsyncClient, household_id: str, broker: EmbeddedBroker
    ) -> None:
        # 1. Eviction in five days, very low income: housing critical, financial high.
        first = await screen(
            risk_client,
            household_id,
            {
                "eviction_notice_days": 5,
                "monthly_income_per_person": 2000,
                "breadwinner_unemployed": True,
            },
            region="KG-J",
        )

        assert first.status_code == 201, first.text
        body = first.json()
        assert first.headers["location"] == f"{SCREENINGS}/{body['id']}"
        assert body["household_id"] == household_id
        assert body["rule_set_version"] == "2026.1"
        domains = {d["domain"]: d for d in body["domains"]}
        assert len(domains) == 6
        assert (domains["housing"]["score"], domains["housing"]["severity"]) == (100, "critical")
        (reason,) = domains["housing"]["reasons"]
        assert reason["indicator"] == "eviction_notice_days"
        assert reason["points"] == 100
        assert set(reason["label"]) == {"ky", "ru", "en"}
        assert domains["financial"]["severity"] == "high"
        assert domains["psychosocial"]["severity"] == "none"
        opened = {f["domain"]: f for f in body["flags"]}
        assert set(opened) == {"housing", "financial"}
        assert {f["change"] for f in opened.values()} == {"opened"}
        assert opened["housing"]["severity"] == "critical"
        assert opened["housing"]["status"] == "open"
        assert opened["housing"]["last_screening_id"] == body["id"]

        events = await events_for(
            broker.bootstrap,
            RISK_FLAGS,
            household_id,
            until=lambda found: (
                len(of_type(found, risk_events.FAMILY_FLAGGED, body["id"])) == 1
                and len(of_type(found, risk_events.SCREENING_COMPLETED, body["id"])) == 1
            ),
        )
        (flagged_event,) = of_type(events, risk_events.FAMILY_FLAGGED, body["id"])
        flagged = risk_events.FamilyFlagged.model_validate(flagged_event.data)
        assert flagged_event.partitionkey == household_id
        assert flagged_event.source == risk_events.SOURCE
        assert (flagged.region, flagged.district, flagged.language) == ("KG-J", "KG-J-01", "ky")
        assert flagged.children_ages == [5, 12]
        # The grandmother and the two boys: sexes only, for the directory's sex eligibility.
        assert sorted(flagged.member_sexes or []) == ["female", "male", "male"]
        assert flagged.rule_set_version == "2026.1"
        findings = {d.domain: d for d in flagged.domains}
        assert set(findings) == {"housing", "financial"}
        assert findings["housing"].severity == "critical"
        assert findings["housing"].reasons == ["eviction_notice_days"]
        assert findings["housing"].flag_id == opened["housing"]["id"]
        assert findings["financial"].reasons == [
            "monthly_income_per_person",
            "breadwinner_unemployed",
        ]
        # Only codes travel: no labels, no values.
        assert "label" not in flagged_event.model_dump_json()
        (completed_event,) = of_type(events, risk_events.SCREENING_COMPLETED, body["id"])
        completed = risk_events.ScreeningCompleted.model_validate(completed_event.data)
        assert len(completed.domains) == 6

        # 2. Eviction in three weeks: housing drops to high, financial gone.
        second = await screen(risk_client, household_id, {"eviction_notice_days": 21})

        assert second.status_code == 201, second.text
        changes = {f["domain"]: f for f in second.json()["flags"]}
        assert changes["housing"]["change"] == "updated"
        assert changes["housing"]["previous_severity"] == "critical"
        assert changes["housing"]["severity"] == "high"
        assert changes["housing"]["id"] == opened["housing"]["id"]
        assert changes["financial"]["change"] == "resolved"
        assert changes["financial"]["status"] == "resolved"
        assert changes["financial"]["resolved_at"] is not None
        second_id = second.json()["id"]
        events = await events_for(
            broker.bootstrap,
            RISK_FLAGS,
            household_id,
            until=lambda found: bool(of_type(found, risk_events.FLAG_RESOLVED, second_id)),
        )
        (updated_event,) = of_type(events, risk_events.FLAG_UPDATED, second_id)
        updated = risk_events.FlagChanged.model_validate(updated_event.data)
        assert (updated.domain, updated.previous_severity, updated.severity) == (
            "housing",
            "critical",
            "high",
        )
        assert updated.flag_id == opened["housing"]["id"]
        (resolved_event,) = of_type(events, risk_events.FLAG_RESOLVED, second_id)
        assert resolved_event.data["domain"] == "financial"
        assert resolved_event.data["flag_id"] == opened["financial"]["id"]

        # 3. Nothing wrong any more: the housing flag resolves, nothing is flagged.
        third = await screen(risk_client, household_id, {"eviction_notice_days": 200})

        assert third.status_code == 201, third.text
        (resolved,) = third.json()["flags"]
        assert (resolved["domain"], resolved["change"]) == ("housing", "resolved")
        flags = await risk_client.get(
            FLAGS, params={"household_id": household_id}, headers=auth("supervisor")
        )
        assert flags.json()["total"] == 2
        assert {f["status"] for f in flags.json()["items"]} == {"resolved"}

        third_id = third.json()["id"]
        events = await events_for(
            broker.bootstrap,
            RISK_FLAGS,
            household_id,
            until=lambda found: bool(
                of_type(found, risk_events.SCREENING_COMPLETED, third_id)
                and of_type(found, risk_events.FLAG_RESOLVED, third_id)
            ),
        )
        assert of_type(events, risk_events.FAMILY_FLAGGED, third_id) == []
        (resolved_event,) = of_type(events, risk_events.FLAG_RESOLVED, third_id)
        assert resolved_event.data["domain"] == "housing"
        (completed_event,) = of_type(events, risk_events.SCREENING_COMPLETED, third_id)
        assert all(d["flag_id"] is None for d in completed_event.data["domains"])

    async def test_concurrent_screenings_keep_one_open_flag_per_domain(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        responses = await asyncio.gather(
            *(screen(risk_client, household_id, {"homeless_now": True}) for _ in range(4))
        )

        assert [r.status_code for r in responses] == [201] * 4
        changes = sorted(r.json()["flags"][0]["change"] for r in responses)
        assert changes == ["opened", "unchanged", "unchanged", "unchanged"]
        flags = await risk_client.get(
            FLAGS, params={"household_id": household_id, "status": "open"}, headers=auth()
        )
        assert flags.json()["total"] == 1

    async def test_nothing_wrong_opens_no_flag(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        response = await screen(risk_client, household_id, {"overcrowded": True})

        assert response.status_code == 201
        assert response.json()["flags"] == []
        housing = next(d for d in response.json()["domains"] if d["domain"] == "housing")
        assert housing["severity"] == "low"


class TestCreateScreeningRegistryRead:
    async def test_a_household_whose_event_is_late_is_read_from_the_registry(
        self, risk_client: httpx.AsyncClient, risk_db: Database, fake_registry: FakeRegistry
    ) -> None:
        record = late_household()
        household_id = record["id"]
        fake_registry.households[household_id] = record
        headers = auth("social_worker", region="KG-GB", districts=["KG-GB-01"])

        response = await risk_client.post(
            SCREENINGS,
            json={"household_id": household_id, "answers": {"homeless_now": True}},
            headers=headers,
        )

        assert response.status_code == 201, response.text
        call = fake_registry.calls[-1]
        assert call.authorization == headers["Authorization"]
        # The instrumented client continues the request's trace into the registry.
        assert call.traceparent is not None
        assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", call.traceparent)
        household = await read_household(risk_db, household_id)
        assert household is not None
        assert (household.region, household.language) == ("KG-GB", "ru")
        assert household.children_birth_dates == ["2024-03-01"]

    async def test_registry_reads_share_one_pooled_connection(
        self, risk_client: httpx.AsyncClient, fake_registry: FakeRegistry
    ) -> None:
        records = [late_household(), late_household()]
        for record in records:
            fake_registry.households[record["id"]] = record
        headers = auth("social_worker", region="KG-GB", districts=["KG-GB-01"])

        for record in records:
            response = await risk_client.post(
                SCREENINGS, json={"household_id": record["id"], "answers": {}}, headers=headers
            )
            assert response.status_code == 201, response.text

        first, second = fake_registry.calls[-2:]
        # A client per call would open a new connection, from a new port, every time.
        assert first.client_port is not None
        assert second.client_port == first.client_port

    async def test_a_registry_record_outside_the_scope_is_refused_and_not_kept(
        self, risk_client: httpx.AsyncClient, risk_db: Database, fake_registry: FakeRegistry
    ) -> None:
        record = late_household(district="KG-GB-02")
        fake_registry.households[record["id"]] = record

        response = await risk_client.post(
            SCREENINGS,
            json={"household_id": record["id"], "answers": {"homeless_now": True}},
            headers=auth("social_worker", region="KG-GB", districts=["KG-GB-01"]),
        )

        assert response.status_code == 403
        assert response.json()["code"] == "household_out_of_scope"
        assert await read_household(risk_db, record["id"]) is None

    async def test_a_household_the_registry_does_not_know_is_404(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        response = await screen(risk_client, str(uuid.uuid4()), {"homeless_now": True})

        assert response.status_code == 404
        assert response.json()["code"] == "household_not_found"

    async def test_an_unreachable_registry_is_503(
        self, risk_client_without_registry: httpx.AsyncClient
    ) -> None:
        response = await screen(risk_client_without_registry, str(uuid.uuid4()), {})

        assert response.status_code == 503
        assert response.json()["code"] == "registry_unavailable"

    async def test_a_known_household_needs_no_registry(
        self, risk_client_without_registry: httpx.AsyncClient, household_id: str
    ) -> None:
        response = await screen(risk_client_without_registry, household_id, {})

        assert response.status_code == 201


class TestGetScreening:
    async def test_answers_the_stored_result(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        created = await screen(
            risk_client, household_id, {"intends_to_give_up_newborn": True, "caregiver_age": 80}
        )

        response = await risk_client.get(
            f"{SCREENINGS}/{created.json()['id']}", headers=auth("auditor")
        )

        assert response.status_code == 200
        body = response.json()
        assert body["answers"] == {"intends_to_give_up_newborn": True, "caregiver_age": 80}
        assert [d["domain"] for d in body["domains"]] == [
            d["domain"] for d in created.json()["domains"]
        ]
        maternal = next(d for d in body["domains"] if d["domain"] == "maternal_newborn")
        assert maternal["severity"] == "critical"
        assert maternal["reasons"][0]["indicator"] == "intends_to_give_up_newborn"
        assert maternal["reasons"][0]["label"]["en"] == "Intends to give up the newborn"
        assert "flags" not in body

    async def test_a_screening_outside_the_scope_looks_missing(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        created = await screen(risk_client, household_id, {"homeless_now": True})
        url = f"{SCREENINGS}/{created.json()['id']}"

        other_district = await risk_client.get(
            url, headers=auth("social_worker", districts=["KG-J-02"])
        )
        other_region = await risk_client.get(url, headers=auth("supervisor", region="KG-O"))
        own_district = await risk_client.get(url, headers=auth("social_worker"))
        own_region = await risk_client.get(url, headers=auth("supervisor", region="KG-J"))

        for response in (other_district, other_region):
            assert response.status_code == 404
            assert response.json()["code"] == "screening_not_found"
        assert own_district.status_code == own_region.status_code == 200

    async def test_a_social_worker_without_districts_is_refused(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        created = await screen(risk_client, household_id, {})

        response = await risk_client.get(
            f"{SCREENINGS}/{created.json()['id']}", headers=auth("social_worker", districts=())
        )

        assert response.status_code == 403
        assert response.json()["code"] == "scope_missing"

    async def test_an_unknown_screening_is_404(self, risk_client: httpx.AsyncClient) -> None:
        response = await risk_client.get(f"{SCREENINGS}/{uuid.uuid4()}", headers=auth())

        assert response.status_code == 404
        assert response.json()["code"] == "screening_not_found"


class TestListFlags:
    async def test_filters_by_domain_and_status_and_pages(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        await screen(
            risk_client,
            household_id,
            {"homeless_now": True, "child_works_hazardous": True, "pregnant_without_support": True},
        )

        everything = await risk_client.get(
            FLAGS, params={"household_id": household_id}, headers=auth()
        )
        child = await risk_client.get(
            FLAGS,
            params={"household_id": household_id, "domain": "child_protection", "status": "open"},
            headers=auth(),
        )
        page = await risk_client.get(
            FLAGS, params={"household_id": household_id, "limit": 2, "offset": 2}, headers=auth()
        )

        assert everything.json()["total"] == 3
        assert {f["domain"] for f in everything.json()["items"]} == {
            "housing",
            "child_protection",
            "maternal_newborn",
        }
        (flag,) = child.json()["items"]
        assert (flag["severity"], flag["status"], flag["rule_set_version"]) == (
            "high",
            "open",
            "2026.1",
        )
        assert (page.json()["total"], len(page.json()["items"]), page.json()["offset"]) == (3, 1, 2)

    async def test_a_supervisor_sees_only_their_region(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        await screen(risk_client, household_id, {"homeless_now": True})

        own = await risk_client.get(
            FLAGS, params={"household_id": household_id}, headers=auth("supervisor", region="KG-J")
        )
        other = await risk_client.get(
            FLAGS, params={"household_id": household_id}, headers=auth("supervisor", region="KG-O")
        )

        assert own.json()["total"] == 1
        assert other.json()["total"] == 0

    async def test_a_social_worker_sees_only_their_districts(
        self, risk_client: httpx.AsyncClient, household_id: str
    ) -> None:
        await screen(risk_client, household_id, {"homeless_now": True})
        params = {"household_id": household_id}

        own = await risk_client.get(
            FLAGS, params=params, headers=auth(districts=["KG-J-02", "KG-J-01"])
        )
        other = await risk_client.get(FLAGS, params=params, headers=auth(districts=["KG-J-02"]))
        everything_seen = await risk_client.get(
            FLAGS, params={"limit": 100}, headers=auth(districts=["KG-J-02"])
        )

        assert own.json()["total"] == 1
        assert other.json()["total"] == 0
        assert household_id not in {f["household_id"] for f in everything_seen.json()["items"]}

    async def test_an_unknown_status_is_422(self, risk_client: httpx.AsyncClient) -> None:
        response = await risk_client.get(FLAGS, params={"status": "closed"}, headers=auth())

        assert response.status_code == 422

    async def test_partners_may_not_list_flags(self, risk_client: httpx.AsyncClient) -> None:
        response = await risk_client.get(FLAGS, headers=auth("partner"))

        assert response.status_code == 403
