"""A person's record over HTTP: If-Match, PIN warnings, migration, child updated."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from kamkor_common.events.schemas.registry import (
    CHILD_UPDATED,
    HOUSEHOLD_UPDATED,
    ChildChanged,
    HouseholdUpdated,
)
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents, PinFor

HOUSEHOLDS = "/api/v1/registry/households"
PERSONS = "/api/v1/registry/persons"


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06"])


async def _household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(HOUSEHOLDS, json=new_household(**overrides), headers=_worker(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _member(household: dict[str, Any], role: str) -> str:
    return str(next(m["person_id"] for m in household["members"] if m["role"] == role))


class TestGetPerson:
    async def test_reads_the_record_with_its_etag_and_stays(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        child = _member(household, "child")

        response = await registry_client.get(f"{PERSONS}/{child}", headers=_worker(auth))

        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"1"'
        person = response.json()
        assert person["given_name"] == "Айдай" and person["warnings"] == []
        assert [(m["household_id"], m["role"]) for m in person["memberships"]] == [
            (household["id"], "child")
        ]

    async def test_outside_the_readers_districts_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.get(
            f"{PERSONS}/{_member(household, 'child')}",
            headers=auth("social_worker", region="KG-J", districts=["KG-J-09"]),
        )

        assert response.status_code == 404
        assert response.json()["code"] == "person_not_found"


class TestUpdatePerson:
    async def test_a_childs_school_and_disability_change_publishes_child_updated(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        child = _member(household, "child")

        response = await registry_client.patch(
            f"{PERSONS}/{child}",
            json={"school_enrolment": "not_enrolled", "disability": True},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 200, response.text
        assert response.headers["etag"] == '"2"'
        assert (response.json()["school_enrolment"], response.json()["disability"]) == (
            "not_enrolled",
            True,
        )
        (event,) = await outbox_events(household["id"], CHILD_UPDATED)
        data = ChildChanged.model_validate(event.data)
        assert (data.household_id, data.child.person_id) == (household["id"], child)
        assert (data.child.school_enrolment, data.child.disability) == ("not_enrolled", True)
        # The household's representation changed with its member: a new household ETag.
        read = await registry_client.get(f"{HOUSEHOLDS}/{household['id']}", headers=_worker(auth))
        assert read.headers["etag"] == '"2"'

    async def test_without_if_match_is_428_and_stale_is_412(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        path = f"{PERSONS}/{_member(household, 'child')}"

        missing = await registry_client.patch(path, json={"school": "№ 5"}, headers=_worker(auth))
        first = await registry_client.patch(
            path, json={"school": "№ 5"}, headers={**_worker(auth), "If-Match": '"1"'}
        )
        stale = await registry_client.patch(
            path, json={"school": "№ 7"}, headers={**_worker(auth), "If-Match": '"1"'}
        )

        assert (missing.status_code, missing.json()["code"]) == (428, "if_match_required")
        assert first.status_code == 200
        assert (stale.status_code, stale.json()["code"]) == (412, "version_mismatch")
        read = await registry_client.get(path, headers=_worker(auth))
        assert read.json()["school"] == "№ 5"

    async def test_a_pin_that_disagrees_is_kept_and_warned_about_never_fixed(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: PinFor,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        child = _member(household, "child")  # a girl born 2016-04-12
        pin = pin_for(date(2016, 4, 21), first_digit="2")  # male digit, the 21st

        response = await registry_client.patch(
            f"{PERSONS}/{child}", json={"pin": pin}, headers={**_worker(auth), "If-Match": '"1"'}
        )

        assert response.status_code == 200, response.text
        person = response.json()
        assert (person["pin"], person["sex"], person["birth_date"]) == (
            pin,
            "female",
            "2016-04-12",
        )
        assert [w["code"] for w in person["warnings"]] == [
            "pin_sex_mismatch",
            "pin_birth_date_mismatch",
        ]

    async def test_a_pin_of_another_person_is_a_conflict(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        first = await _household(registry_client, auth, new_household)
        second = await _household(registry_client, auth, new_household)
        taken = next(m["pin"] for m in first["members"] if m["pin"])

        response = await registry_client.patch(
            f"{PERSONS}/{_member(second, 'child')}",
            json={"pin": taken},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 409
        assert response.json()["code"] == "duplicate_pin"

    async def test_a_parent_abroad_publishes_the_household_snapshot(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        grandmother = _member(household, "grandparent")

        response = await registry_client.patch(
            f"{PERSONS}/{grandmother}",
            json={
                "migration_status": "abroad",
                "migration_country": "RU",
                "migration_since": "2024-03-01",
            },
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 200, response.text
        (event,) = await outbox_events(household["id"], HOUSEHOLD_UPDATED)
        data = HouseholdUpdated.model_validate(event.data)
        abroad = next(m for m in data.members if m.person_id == grandmother)
        assert (abroad.migration_status, abroad.migration_country) == ("abroad", "RU")
        assert abroad.migration_since == date(2024, 3, 1)

    @pytest.mark.parametrize(
        "body",
        [
            {"migration_status": "abroad"},
            {"migration_status": "abroad", "migration_country": "KG"},
            {"migration_status": "home", "migration_country": "RU"},
            {"migration_since": "2024-03-01"},
        ],
    )
    async def test_an_inconsistent_migration_is_refused(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        body: dict[str, Any],
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.patch(
            f"{PERSONS}/{_member(household, 'grandparent')}",
            json=body,
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_migration"
