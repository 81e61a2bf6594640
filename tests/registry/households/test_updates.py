"""Updating a household under If-Match: 428 without it, 412 when stale, the event when done."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from kamkor_common.events.schemas.registry import HOUSEHOLD_UPDATED, HouseholdUpdated
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents

URL = "/api/v1/registry/households"


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06", "KG-J-09"])


async def _household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
) -> dict[str, Any]:
    response = await client.post(URL, json=new_household(), headers=_worker(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestUpdateHousehold:
    async def test_updates_with_the_current_etag_and_publishes_the_snapshot(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.patch(
            f"{URL}/{household['id']}",
            json={"address": "Lenin st. 3", "phone": None, "district": "KG-J-09"},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 200, response.text
        updated = response.json()
        assert response.headers["etag"] == '"2"' and updated["version"] == 2
        assert (updated["address"], updated["phone"], updated["district"]) == (
            "Lenin st. 3",
            None,
            "KG-J-09",
        )
        assert updated["settlement"] == household["settlement"]
        (event,) = await outbox_events(household["id"], HOUSEHOLD_UPDATED)
        data = HouseholdUpdated.model_validate(event.data)
        assert (data.version, data.district) == (2, "KG-J-09")
        assert {m.person_id for m in data.members} == {m["person_id"] for m in household["members"]}
        assert "Lenin" not in event.model_dump_json()

    async def test_without_if_match_is_428_and_changes_nothing(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.patch(
            f"{URL}/{household['id']}", json={"address": "Lenin st. 3"}, headers=_worker(auth)
        )

        assert response.status_code == 428, response.text
        assert response.json()["code"] == "if_match_required"
        read = await registry_client.get(f"{URL}/{household['id']}", headers=_worker(auth))
        assert read.json()["address"] == household["address"] and read.headers["etag"] == '"1"'

    async def test_a_stale_etag_is_412_and_the_first_change_stands(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        path = f"{URL}/{household['id']}"
        first = await registry_client.patch(
            path, json={"address": "First st. 1"}, headers={**_worker(auth), "If-Match": '"1"'}
        )
        assert first.status_code == 200

        second = await registry_client.patch(
            path, json={"address": "Second st. 2"}, headers={**_worker(auth), "If-Match": '"1"'}
        )

        assert second.status_code == 412
        assert second.json()["code"] == "version_mismatch"
        assert second.json()["current_version"] == 2
        read = await registry_client.get(path, headers=_worker(auth))
        assert read.json()["address"] == "First st. 1"
        assert len(await outbox_events(household["id"], HOUSEHOLD_UPDATED)) == 1

    async def test_a_move_out_of_the_workers_districts_is_refused(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.patch(
            f"{URL}/{household['id']}",
            json={"district": "KG-J-01"},
            headers={
                **auth("social_worker", region="KG-J", districts=["KG-J-06"]),
                "If-Match": '"1"',
            },
        )

        assert response.status_code == 403
        assert response.json()["code"] == "region_not_allowed"

    async def test_a_required_field_cannot_be_cleared(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.patch(
            f"{URL}/{household['id']}",
            json={"address": None},
            headers={**_worker(auth), "If-Match": '"1"'},
        )

        assert response.status_code == 422

    async def test_of_two_concurrent_updates_on_one_version_exactly_one_wins(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        path = f"{URL}/{household['id']}"
        headers = {**_worker(auth), "If-Match": '"1"'}

        answers = await asyncio.gather(
            *(
                registry_client.patch(path, json={"address": f"Street {i}"}, headers=headers)
                for i in range(4)
            )
        )

        assert sorted(a.status_code for a in answers) == [200, 412, 412, 412]
        winner = next(a for a in answers if a.status_code == 200)
        read = await registry_client.get(path, headers=_worker(auth))
        assert read.json()["address"] == winner.json()["address"]
        assert read.headers["etag"] == '"2"'
