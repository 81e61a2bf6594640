"""Joining a household, a child's caregiver, and a child's move between households."""

from __future__ import annotations

from typing import Any

import httpx

from kamkor_common.events.schemas.registry import (
    CHILD_MOVED,
    CHILD_REGISTERED,
    CHILD_UPDATED,
    HOUSEHOLD_UPDATED,
    ChildChanged,
    ChildMoved,
    HouseholdUpdated,
)
from kamkor_common.reference.regions import local_today
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents

HOUSEHOLDS = "/api/v1/registry/households"
PERSONS = "/api/v1/registry/persons"


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06"])


async def _household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
) -> dict[str, Any]:
    response = await client.post(HOUSEHOLDS, json=new_household(), headers=_worker(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _member(household: dict[str, Any], role: str) -> str:
    return str(next(m["person_id"] for m in household["members"] if m["role"] == role))


NEW_CHILD = {
    "role": "child",
    "family_name": "Адылбеков",
    "given_name": "Нурлан",
    "sex": "male",
    "birth_date": "2019-09-14",
}


class TestAddMember:
    async def test_a_new_child_with_a_caregiver_is_registered_and_published(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        grandmother = _member(household, "grandparent")

        response = await registry_client.post(
            f"{HOUSEHOLDS}/{household['id']}/members",
            json={**NEW_CHILD, "caregiver_person_id": grandmother},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 201, response.text
        assert response.headers["etag"] == '"2"'
        nurlan = next(m for m in response.json()["members"] if m["given_name"] == "Нурлан")
        assert nurlan["caregiver_person_id"] == grandmother
        (event,) = await outbox_events(household["id"], CHILD_REGISTERED)
        data = ChildChanged.model_validate(event.data)
        assert (data.child.person_id, data.child.caregiver_person_id) == (
            nurlan["person_id"],
            grandmother,
        )
        assert "Нурлан" not in event.model_dump_json()

    async def test_without_if_match_is_428_and_a_stale_one_412(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        path = f"{HOUSEHOLDS}/{household['id']}/members"

        missing = await registry_client.post(path, json=NEW_CHILD, headers=_worker(auth))
        stale = await registry_client.post(
            path, json=NEW_CHILD, headers={**_worker(auth), "If-Match": '"7"'}
        )

        assert (missing.status_code, stale.status_code) == (428, 412)
        read = await registry_client.get(f"{HOUSEHOLDS}/{household['id']}", headers=_worker(auth))
        assert len(read.json()["members"]) == 2

    async def test_a_child_as_caregiver_is_refused(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{HOUSEHOLDS}/{household['id']}/members",
            json={**NEW_CHILD, "caregiver_person_id": _member(household, "child")},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 422
        assert response.json()["code"] == "invalid_caregiver"

    async def test_a_child_living_elsewhere_must_be_moved_instead(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        first = await _household(registry_client, auth, new_household)
        second = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{HOUSEHOLDS}/{second['id']}/members",
            json={"role": "child", "person_id": _member(first, "child")},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 409
        assert response.json()["code"] == "child_lives_elsewhere"
        assert response.json()["household_id"] == first["id"]


class TestUpdateMembership:
    async def test_the_childs_caregiver_is_set_and_child_updated_published(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        child, grandmother = _member(household, "child"), _member(household, "grandparent")

        response = await registry_client.patch(
            f"{HOUSEHOLDS}/{household['id']}/members/{child}",
            json={"caregiver_person_id": grandmother},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 200, response.text
        (event,) = await outbox_events(household["id"], CHILD_UPDATED)
        assert ChildChanged.model_validate(event.data).child.caregiver_person_id == grandmother

    async def test_ending_a_stay_drops_the_member_from_the_snapshot(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        grandmother = _member(household, "grandparent")

        response = await registry_client.patch(
            f"{HOUSEHOLDS}/{household['id']}/members/{grandmother}",
            json={"until": local_today().isoformat()},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 200, response.text
        (event,) = await outbox_events(household["id"], HOUSEHOLD_UPDATED)
        members = HouseholdUpdated.model_validate(event.data).members
        assert [m.person_id for m in members] == [_member(household, "child")]


class TestMoveChild:
    async def test_a_move_ends_one_stay_begins_the_next_and_publishes_both_sides(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        source = await _household(registry_client, auth, new_household)
        target = await _household(registry_client, auth, new_household)
        child = _member(source, "child")
        caregiver = _member(target, "grandparent")
        today = local_today().isoformat()

        response = await registry_client.post(
            f"{PERSONS}/{child}/move",
            json={
                "from_household_id": source["id"],
                "to_household_id": target["id"],
                "caregiver_person_id": caregiver,
            },
            headers=_worker(auth),
        )

        assert response.status_code == 200, response.text
        moved_in = next(m for m in response.json()["members"] if m["person_id"] == child)
        assert (moved_in["since"], moved_in["until"]) == (today, None)
        assert moved_in["caregiver_person_id"] == caregiver
        (moved,) = await outbox_events(target["id"], CHILD_MOVED)
        data = ChildMoved.model_validate(moved.data)
        assert (data.household_id, data.from_household_id, data.person_id) == (
            target["id"],
            source["id"],
            child,
        )
        (left,) = await outbox_events(source["id"], HOUSEHOLD_UPDATED)
        assert child not in {
            m.person_id for m in HouseholdUpdated.model_validate(left.data).members
        }
        person = await registry_client.get(f"{PERSONS}/{child}", headers=_worker(auth))
        assert {(m["household_id"], m["until"]) for m in person.json()["memberships"]} == {
            (source["id"], today),
            (target["id"], None),
        }
        old = await registry_client.get(f"{HOUSEHOLDS}/{source['id']}", headers=_worker(auth))
        assert old.headers["etag"] == '"2"'

    async def test_a_grown_up_is_not_moved(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        source = await _household(registry_client, auth, new_household)
        target = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{PERSONS}/{_member(source, 'grandparent')}/move",
            json={"from_household_id": source["id"], "to_household_id": target["id"]},
            headers=_worker(auth),
        )

        assert response.status_code == 422
        assert response.json()["code"] == "not_a_child"

    async def test_a_move_into_a_household_beyond_the_workers_districts_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        source = await _household(registry_client, auth, new_household)
        elsewhere = await registry_client.post(
            HOUSEHOLDS, json=new_household(district="KG-J-09"), headers=auth("admin")
        )

        response = await registry_client.post(
            f"{PERSONS}/{_member(source, 'child')}/move",
            json={"from_household_id": source["id"], "to_household_id": elsewhere.json()["id"]},
            headers=_worker(auth),
        )

        assert response.status_code == 404
        read = await registry_client.get(f"{HOUSEHOLDS}/{source['id']}", headers=_worker(auth))
        assert read.json()["members"][1]["until"] is None
