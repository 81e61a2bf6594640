"""The household-registered event reaches its topic with identifiers and coded facts only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from kamkor_common.events import topics
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import HOUSEHOLD_REGISTERED, HouseholdRegistered
from kamkor_common.messaging.broker import EmbeddedBroker


async def _records_for(
    bootstrap: str, household_id: str, timeout_s: float = 30
) -> list[ConsumerRecord[bytes, bytes]]:
    """This household's records on the shared topic, read from the start until one is seen."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=20
    )
    await asyncio.wait_for(consumer.start(), 30)
    mine: list[ConsumerRecord[bytes, bytes]] = []
    try:
        topic = topics.REGISTRY_HOUSEHOLDS
        consumer.assign([TopicPartition(topic, p) for p in range(topics.PARTITIONS.get(topic, 1))])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while not mine and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            mine += [r for rs in batch.values() for r in rs if r.key == household_id.encode()]
        # A second copy (a duplicate publish) would follow close behind: poll once more.
        batch = await consumer.getmany(timeout_ms=500)
        mine += [r for rs in batch.values() for r in rs if r.key == household_id.encode()]
    finally:
        await asyncio.wait_for(consumer.stop(), 10)
    if not mine:
        raise AssertionError(f"no event for household {household_id} on the topic")
    return mine


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
            "/api/v1/registry/households",
            json=body,
            headers=auth("social_worker", region="KG-J", districts=["KG-J-06"]),
        )
        assert response.status_code == 201
        created = response.json()

        records = await _records_for(broker.bootstrap, created["id"])

        assert len(records) == 1
        record = records[0]
        headers = {key: value.decode() for key, value in record.headers}
        assert headers["ce_type"] == HOUSEHOLD_REGISTERED.type
        event = CloudEvent.from_bytes(record.value)
        assert (event.type, event.subject) == (
            HOUSEHOLD_REGISTERED.type,
            f"household/{created['id']}",
        )
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
