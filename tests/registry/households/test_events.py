"""The household-registered event reaches its topic with identifiers and coded facts only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from kamkor_common.events import topics
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import HOUSEHOLD_REGISTERED, HouseholdRegistered
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.testing import read_topic


async def _record_for(bootstrap: str, household_id: str, timeout_s: float = 30) -> Any:
    # The topic is shared by the whole run: read it all and pick this household's event.
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records = await read_topic(
            bootstrap, topics.REGISTRY_HOUSEHOLDS, min_records=10**6, timeout_s=3
        )
        mine = [r for r in records if r.key == household_id.encode()]
        if mine:
            return mine
    raise AssertionError(f"no event for household {household_id} on the topic")


class TestHouseholdRegistered:
    async def test_reaches_the_topic_without_names_or_contact_details(
        self,
        registry_client: httpx.AsyncClient,
        broker: EmbeddedBroker,
        auth: Callable[..., dict[str, str]],
        new_household: Callable[..., dict[str, Any]],
    ) -> None:
        body = new_household()
        response = await registry_client.post(
            "/api/v1/registry/households", json=body, headers=auth("social_worker", region="KG-J")
        )
        assert response.status_code == 201
        created = response.json()

        records = await _record_for(broker.bootstrap, created["id"])

        assert len(records) == 1
        record = records[0]
        headers = {key: value.decode() for key, value in record.headers}
        assert headers["ce_type"] == HOUSEHOLD_REGISTERED
        event = CloudEvent.from_bytes(record.value)
        assert (event.type, event.subject) == (HOUSEHOLD_REGISTERED, f"household/{created['id']}")
        assert event.partitionkey == created["id"]
        data = HouseholdRegistered.model_validate(event.data)
        assert (data.region, data.district, data.language) == ("KG-J", "KG-J-06", "ky")
        assert [(m.person_id, m.role, m.sex, m.birth_date.isoformat()) for m in data.members] == [
            (m["person_id"], m["role"], m["sex"], m["birth_date"]) for m in created["members"]
        ]
        raw = record.value.decode()
        secrets = [body["settlement"], body["address"], body["phone"]]
        for member in body["members"]:
            secrets += [member["family_name"], member["given_name"], member.get("pin")]
            secrets.append(member.get("patronymic"))
        leaked = [value for value in secrets if value and value in raw]
        assert leaked == []
