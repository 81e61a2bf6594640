"""Sibling groups across households, and when the siblings last met."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from kamkor_common.reference.regions import local_today
from tests.registry.conftest import Auth, NewHousehold

HOUSEHOLDS = "/api/v1/registry/households"
GROUPS = "/api/v1/registry/sibling-groups"


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06"])


async def _child_in_new_household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
) -> tuple[str, str]:
    response = await client.post(HOUSEHOLDS, json=new_household(), headers=_worker(auth))
    assert response.status_code == 201, response.text
    household: dict[str, Any] = response.json()
    child = next(m["person_id"] for m in household["members"] if m["role"] == "child")
    return household["id"], child


class TestSiblingGroups:
    async def test_siblings_split_between_two_grandmothers_are_separated_and_meet(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        fathers_side, aidai = await _child_in_new_household(registry_client, auth, new_household)
        mothers_side, nurlan = await _child_in_new_household(registry_client, auth, new_household)
        long_ago = local_today() - timedelta(days=90)
        yesterday = local_today() - timedelta(days=1)

        created = await registry_client.post(
            GROUPS,
            json={"person_ids": [aidai, nurlan], "last_met_on": long_ago.isoformat()},
            headers=_worker(auth),
        )
        assert created.status_code == 201, created.text
        group = created.json()
        met = await registry_client.post(
            f"{GROUPS}/{group['id']}/meetings",
            json={"met_on": yesterday.isoformat()},
            headers=_worker(auth),
        )
        older = await registry_client.post(
            f"{GROUPS}/{group['id']}/meetings",
            json={"met_on": long_ago.isoformat()},
            headers=_worker(auth),
        )
        listed = await registry_client.get(
            f"{HOUSEHOLDS}/{mothers_side}/sibling-groups", headers=_worker(auth)
        )

        assert group["separated"] is True
        assert {(s["person_id"], s["household_id"]) for s in group["siblings"]} == {
            (aidai, fathers_side),
            (nurlan, mothers_side),
        }
        assert met.json()["last_met_on"] == yesterday.isoformat()
        assert older.json()["last_met_on"] == yesterday.isoformat()
        assert [g["id"] for g in listed.json()["items"]] == [group["id"]]

    async def test_a_child_is_in_one_group_at_most(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        _, first = await _child_in_new_household(registry_client, auth, new_household)
        _, second = await _child_in_new_household(registry_client, auth, new_household)
        _, third = await _child_in_new_household(registry_client, auth, new_household)
        created = await registry_client.post(
            GROUPS, json={"person_ids": [first, second]}, headers=_worker(auth)
        )

        again = await registry_client.post(
            GROUPS, json={"person_ids": [second, third]}, headers=_worker(auth)
        )

        assert again.status_code == 409
        assert again.json()["group_id"] == created.json()["id"]

    async def test_a_grown_up_or_a_future_meeting_is_refused(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await registry_client.post(
            HOUSEHOLDS, json=new_household(), headers=_worker(auth)
        )
        members = household.json()["members"]
        grandmother, child = members[0]["person_id"], members[1]["person_id"]
        _, other = await _child_in_new_household(registry_client, auth, new_household)

        grown_up = await registry_client.post(
            GROUPS, json={"person_ids": [grandmother, child]}, headers=_worker(auth)
        )
        future = await registry_client.post(
            GROUPS,
            json={
                "person_ids": [child, other],
                "last_met_on": (local_today() + timedelta(days=3)).isoformat(),
            },
            headers=_worker(auth),
        )

        assert (grown_up.status_code, grown_up.json()["code"]) == (422, "invalid_siblings")
        assert (future.status_code, future.json()["code"]) == (422, "invalid_meeting_date")

    async def test_a_group_beyond_the_readers_places_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        _, first = await _child_in_new_household(registry_client, auth, new_household)
        _, second = await _child_in_new_household(registry_client, auth, new_household)
        created = await registry_client.post(
            GROUPS, json={"person_ids": [first, second]}, headers=_worker(auth)
        )

        response = await registry_client.get(
            f"{GROUPS}/{created.json()['id']}",
            headers=auth("supervisor", region="KG-GB"),
        )

        assert response.status_code == 404
        assert response.json()["code"] == "sibling_group_not_found"
