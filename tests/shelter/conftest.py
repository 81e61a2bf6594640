"""The shelter service running on PostgreSQL and the embedded broker, with its helpers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.topics import PARTITIONS, REFERRAL_REFERRALS, SHELTER_CAPACITY
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.outbox import kafka_headers
from kamkor_common.messaging.producer import Producer
from kamkor_common.testing import dev_token, running_app, wait_until
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.main import create_app
from kamkor_shelter.shelters import editing as shelters_editing
from kamkor_shelter.shelters.schemas import ShelterCreate


def auth(
    role: str,
    organization_id: str | None = None,
    *,
    region: str | None = None,
    districts: Sequence[str] = (),
) -> dict[str, str]:
    """Headers carrying a dev token of the role (and organisation, or place)."""
    token = dev_token(role, organization_id=organization_id, region=region, districts=districts)
    return {"Authorization": f"Bearer {token}"}


@dataclass
class ShelterService:
    app: FastAPI
    client: httpx.AsyncClient
    settings: ShelterSettings

    auth = staticmethod(auth)

    @property
    def database(self) -> Database:
        return self.app.state.database

    async def create_shelter(
        self,
        beds: dict[str, int],
        *,
        organization_id: str | None = None,
        region: str = "KG-J",
        district: str = "KG-J-09",
    ) -> str:
        """A shelter of its own for one test, so that no other test touches its beds."""
        shelter_in = ShelterCreate.model_validate(
            {
                "organization_id": organization_id or str(uuid.uuid4()),
                "name": f"Test shelter {uuid.uuid4().hex[:6]}",
                "region": region,
                "district": district,
                "beds": beds,
            }
        )
        async with self.database.sessionmaker() as session, session.begin():
            created = await shelters_editing.create_shelter(session=session, shelter_in=shelter_in)
        return created.id

    async def category(self, shelter_id: str, category: str) -> dict:
        """A category of the shelter as `GET /api/v1/shelters/{id}` shows it."""
        response = await self.client.get(
            f"/api/v1/shelters/{shelter_id}", headers=auth("social_worker")
        )
        response.raise_for_status()
        [found] = [c for c in response.json()["categories"] if c["category"] == category]
        return found

    async def holds(self, shelter_id: str, **params: str) -> list[dict]:
        response = await self.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", params=params, headers=auth("admin")
        )
        response.raise_for_status()
        return response.json()["items"]


@pytest.fixture(scope="session")
async def shelter(broker: EmbeddedBroker, make_database) -> AsyncIterator[ShelterService]:
    """The service with its reference shelters seeded and its consumer running."""
    settings = ShelterSettings(
        DATABASE_URL=await make_database("shelter"),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        SEED_REFERENCE_DATA=True,
        OUTBOX_POLL_INTERVAL_S=0.2,
        CONSUMER_RETRY_BACKOFF_S=0.05,
    )
    app = create_app(settings)
    async with running_app(app) as client:
        yield ShelterService(app=app, client=client, settings=settings)


class EventCollector:
    """Every event on a topic since its beginning, read without a consumer group."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.bootstrap, self.topic = bootstrap, topic
        self.events: list[CloudEvent] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=20,
            request_timeout_ms=40000,
        )
        await asyncio.wait_for(self._consumer.start(), 30)
        partitions = [TopicPartition(self.topic, p) for p in range(PARTITIONS[self.topic])]
        self._consumer.assign(partitions)
        await self._consumer.seek_to_beginning(*partitions)
        self._task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    with contextlib.suppress(ValidationError):
                        self.events.append(CloudEvent.from_bytes(record.value or b""))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.wait_for(self._consumer.stop(), 10)

    def find(self, type: str, predicate: Callable[[CloudEvent], bool]) -> list[CloudEvent]:
        return [e for e in list(self.events) if e.type == type and predicate(e)]

    async def wait_for(
        self,
        type: str,
        predicate: Callable[[CloudEvent], bool],
        *,
        count: int = 1,
        timeout_s: float = 30,
    ) -> list[CloudEvent]:
        async def arrived() -> bool:
            return len(self.find(type, predicate)) >= count

        await wait_until(arrived, timeout_s=timeout_s)
        return self.find(type, predicate)


@pytest.fixture(scope="session")
async def capacity_events(broker: EmbeddedBroker) -> AsyncIterator[EventCollector]:
    collector = EventCollector(broker.bootstrap, SHELTER_CAPACITY)
    await collector.start()
    yield collector
    await collector.stop()


class ReferralPublisher:
    """Publishes into `referral.referrals.v1` as the referral service would."""

    def __init__(self, producer: Producer) -> None:
        self.producer = producer

    async def publish(self, type: str, data: BaseModel, *, referral_id: str) -> CloudEvent:
        event = new_event(source=referral_events.SOURCE, type=type, key=referral_id, data=data)
        headers = kafka_headers(event.type, event.id, event.source)
        key = referral_id.encode()
        await self.producer.send(REFERRAL_REFERRALS, key, event.to_bytes(), headers)
        return event


@pytest.fixture(scope="session")
async def referrals(broker: EmbeddedBroker) -> AsyncIterator[ReferralPublisher]:
    producer = Producer(ShelterSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap))
    yield ReferralPublisher(producer)
    await producer.stop()
