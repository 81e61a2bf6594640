"""Recording, listing and reading home visits over HTTP, and their event in the outbox."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from kamkor_common.events.schemas.registry import VISIT_RECORDED, VisitRecorded
from kamkor_common.reference.regions import local_today
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents

URL = "/api/v1/registry/households"
PERSONS = "/api/v1/registry/persons"


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06"])


async def _household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(URL, json=new_household(**overrides), headers=_worker(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _visit(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "round": "2026-H2",
        "visited_on": local_today().isoformat(),
        "observations": {"eviction_notice_days": 4, "overcrowded": True},
        "notes": "Landlord gave notice;\nthe grandmother asks for help.",
    }
    body.update(overrides)
    return body


def _parent(family_name: str, given_name: str, sex: str, born: str) -> dict[str, Any]:
    return {
        "role": "parent",
        "family_name": family_name,
        "given_name": given_name,
        "sex": sex,
        "birth_date": born,
    }


class TestRecordVisit:
    async def test_records_the_visit_and_stages_its_event_without_the_notes(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits", json=_visit(), headers=_worker(auth)
        )

        assert response.status_code == 201, response.text
        visit = response.json()
        assert response.headers["location"] == f"{URL}/{household['id']}/visits/{visit['id']}"
        assert (visit["round"], visit["household_id"]) == ("2026-H2", household["id"])
        assert visit["observations"] == {"eviction_notice_days": 4, "overcrowded": True}
        assert visit["notes"].startswith("Landlord")
        (event,) = await outbox_events(household["id"], VISIT_RECORDED)
        assert event.partitionkey == household["id"]
        assert event.subject == f"household/{household['id']}"
        assert "Landlord" not in event.model_dump_json()
        data = VisitRecorded.model_validate(event.data)
        assert data.visit_id == visit["id"]
        assert (data.region, data.district, data.language) == ("KG-J", "KG-J-06", "ky")
        assert data.worker and data.worker == visit["worker"]
        assert sorted(m.role for m in data.members) == ["child", "grandparent"]
        assert data.observations == {"eviction_notice_days": 4, "overcrowded": True}
        assert data.indicators == {**data.facts, **data.observations}

    async def test_facts_come_from_the_record_and_observations_win(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        grandmother_born = date(local_today().year - 72, 1, 15).isoformat()
        members = [
            _parent("Асанов", "Бакыт", "male", "1988-05-01"),
            _parent("Асанова", "Жылдыз", "female", "1990-07-09"),
            {
                "role": "grandparent",
                "family_name": "Асанова",
                "given_name": "Гүлсара",
                "sex": "female",
                "birth_date": grandmother_born,
            },
            new_household()["members"][1],
        ]
        household = await _household(registry_client, auth, new_household, members=members)
        for member in household["members"]:
            if member["role"] == "parent":
                moved = await registry_client.patch(
                    f"{PERSONS}/{member['person_id']}",
                    json={"migration_status": "abroad", "migration_country": "RU"},
                    headers={**_worker(auth), "If-Match": '"1"'},
                )
                assert moved.status_code == 200, moved.text

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits",
            json=_visit(observations={"caregiver_stress": 6, "caregiver_age": 71}),
            headers=_worker(auth),
        )

        assert response.status_code == 201, response.text
        assert response.json()["facts"] == {"both_parents_abroad": True, "caregiver_age": 72}
        (event,) = await outbox_events(household["id"], VISIT_RECORDED)
        data = VisitRecorded.model_validate(event.data)
        assert data.facts == {"both_parents_abroad": True, "caregiver_age": 72}
        assert data.indicators == {
            "both_parents_abroad": True,
            "caregiver_age": 71,
            "caregiver_stress": 6,
        }

    async def test_siblings_living_apart_and_the_grandmother_are_facts(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        here = await _household(registry_client, auth, new_household)
        there = await _household(registry_client, auth, new_household)
        children = [
            next(m["person_id"] for m in h["members"] if m["role"] == "child")
            for h in (here, there)
        ]
        group = await registry_client.post(
            "/api/v1/registry/sibling-groups",
            json={"person_ids": children},
            headers=_worker(auth),
        )
        assert group.status_code == 201, group.text

        response = await registry_client.post(
            f"{URL}/{here['id']}/visits", json=_visit(observations={}), headers=_worker(auth)
        )

        assert response.status_code == 201, response.text
        grandmother_age = next(m["age"] for m in here["members"] if m["role"] == "grandparent")
        # No parent lives here: the grandmother is the one who cares for the child.
        assert response.json()["facts"] == {
            "caregiver_age": grandmother_age,
            "siblings_separated": True,
        }

    async def test_a_bad_observation_is_named(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits",
            json=_visit(observations={"roof_leaks": True, "homeless_now": "yes"}),
            headers=_worker(auth),
        )

        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "invalid_observations"
        assert {e["field"] for e in problem["errors"]} == {
            "observations.roof_leaks",
            "observations.homeless_now",
        }
        assert await outbox_events(household["id"], VISIT_RECORDED) == []

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            (
                _visit(visited_on=(local_today() + timedelta(days=1)).isoformat()),
                "invalid_visit_date",
            ),
            (_visit(round="2026-H3"), "validation_error"),
            (_visit(round="26-H1"), "validation_error"),
            ({**_visit(), "worker": "someone-else"}, "validation_error"),
        ],
    )
    async def test_bad_dates_and_rounds_are_422(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        body: dict[str, Any],
        code: str,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits", json=body, headers=_worker(auth)
        )

        assert response.status_code == 422, response.text
        assert response.json()["code"] == code

    async def test_a_household_outside_the_workers_districts_is_not_found(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits",
            json=_visit(),
            headers=auth("social_worker", region="KG-J", districts=["KG-J-09"]),
        )

        # Outside the worker's places a household answers like a missing one (not leaked).
        assert response.status_code == 404
        assert response.json()["code"] == "household_not_found"
        assert await outbox_events(household["id"], VISIT_RECORDED) == []

    async def test_an_auditor_cannot_record_a_visit(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/visits", json=_visit(), headers=auth("auditor")
        )

        assert response.status_code == 403

    async def test_a_resent_visit_is_recorded_once(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        headers = {**_worker(auth), "Idempotency-Key": f"visit-{household['id']}"}

        first = await registry_client.post(
            f"{URL}/{household['id']}/visits", json=_visit(), headers=headers
        )
        resent = await registry_client.post(
            f"{URL}/{household['id']}/visits", json=_visit(), headers=headers
        )

        assert (first.status_code, resent.status_code) == (201, 201), resent.text
        assert resent.headers["idempotent-replayed"] == "true"
        assert resent.json()["id"] == first.json()["id"]
        assert len(await outbox_events(household["id"], VISIT_RECORDED)) == 1


class TestReadVisits:
    async def test_lists_latest_first_filters_by_round_and_reads_one(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        visits = f"{URL}/{household['id']}/visits"
        for round_, on in (("2026-H1", "2026-03-10"), ("2026-H2", "2026-09-02")):
            response = await registry_client.post(
                visits, json=_visit(round=round_, visited_on=on), headers=_worker(auth)
            )
            assert response.status_code == 201, response.text

        everything = await registry_client.get(
            visits, headers={**auth("auditor"), "X-Purpose": "annual review"}
        )
        first_half = await registry_client.get(
            visits, params={"round": "2026-H1"}, headers=_worker(auth)
        )
        page = await registry_client.get(visits, params={"limit": 1}, headers=_worker(auth))

        assert everything.status_code == 200, everything.text
        assert [v["round"] for v in everything.json()["items"]] == ["2026-H2", "2026-H1"]
        assert everything.json()["total"] == 2
        assert [v["round"] for v in first_half.json()["items"]] == ["2026-H1"]
        assert (page.json()["total"], len(page.json()["items"])) == (2, 1)
        one = everything.json()["items"][1]
        read = await registry_client.get(f"{visits}/{one['id']}", headers=_worker(auth))
        assert read.status_code == 200, read.text
        assert read.json() == one
        trail = await registry_client.get(
            "/api/v1/registry/audit",
            params={"household_id": household["id"]},
            headers=auth("auditor"),
        )
        reads = [
            e
            for e in trail.json()["items"]
            if e["entity"] == "home_visit" and e["purpose"] == "annual review"
        ]
        assert {e["entity_id"] for e in reads} == {v["id"] for v in everything.json()["items"]}

    async def test_a_visit_of_another_household_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        one = await _household(registry_client, auth, new_household)
        other = await _household(registry_client, auth, new_household)
        visit = await registry_client.post(
            f"{URL}/{one['id']}/visits", json=_visit(), headers=_worker(auth)
        )

        response = await registry_client.get(
            f"{URL}/{other['id']}/visits/{visit.json()['id']}", headers=_worker(auth)
        )

        assert response.status_code == 404
        assert response.json()["code"] == "visit_not_found"

    async def test_a_bad_round_filter_is_422(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.get(
            f"{URL}/{household['id']}/visits", params={"round": "H2"}, headers=_worker(auth)
        )

        assert response.status_code == 422


class TestMergedHouseholds:
    async def test_a_merge_moves_the_visits_and_the_tombstone_takes_no_new_one(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        kept = await _household(registry_client, auth, new_household)
        merged = await _household(registry_client, auth, new_household)
        visit = await registry_client.post(
            f"{URL}/{merged['id']}/visits", json=_visit(), headers=_worker(auth)
        )
        assert visit.status_code == 201, visit.text

        merge = await registry_client.post(
            f"{URL}/{merged['id']}/merge",
            json={"into_household_id": kept["id"]},
            headers={**auth("supervisor", region="KG-J"), "If-Match": f'"{merged["version"]}"'},
        )
        assert merge.status_code == 200, merge.text

        listed = await registry_client.get(f"{URL}/{kept['id']}/visits", headers=_worker(auth))
        assert [(v["id"], v["household_id"]) for v in listed.json()["items"]] == [
            (visit.json()["id"], kept["id"])
        ]
        late = await registry_client.post(
            f"{URL}/{merged['id']}/visits", json=_visit(), headers=_worker(auth)
        )
        assert late.status_code == 409, late.text
        assert late.json()["code"] == "record_merged"
