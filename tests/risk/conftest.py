"""Risk service fixtures: the app on PostgreSQL and the broker, and a stand-in registry."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas import registry as registry_events
from kamkor_common.events.topics import PARTITIONS, REGISTRY_HOUSEHOLDS
from kamkor_common.messaging.broker import EmbeddedBroker, free_port
from kamkor_common.messaging.outbox import kafka_headers
from kamkor_common.messaging.producer import Producer
from kamkor_common.testing import dev_token, running_app, serving_app, wait_until
from kamkor_risk.config import RiskSettings
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.main import create_app

JALAL_ABAD = ("KG-J", "KG-J-01")


def auth(
    role: str = "social_worker",
    *,
    region: str | None = JALAL_ABAD[0],
    districts: Sequence[str] = (JALAL_ABAD[1],),
    **claims: Any,
) -> dict[str, str]:
    """A bearer header; unless told otherwise, for a worker of the Jalal-Abad test district."""
    token = dev_token(role, region=region, districts=districts, **claims)
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class RegistryCall:
    authorization: str
    traceparent: str | None
    client_port: int | None


@dataclass
class FakeRegistry:
    """Plays the registry's `GET /api/v1/registry/households/{id}` on a real port."""

    url: str
    households: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[RegistryCall] = field(default_factory=list)


def _registry_app(registry: FakeRegistry) -> FastAPI:
    app = FastAPI()

    @app.get("/api/v1/registry/households/{household_id}")
    async def get_household(household_id: str, request: Request) -> JSONResponse:
        registry.calls.append(
            RegistryCall(
                authorization=request.headers.get("authorization", ""),
                traceparent=request.headers.get("traceparent"),
                client_port=request.client.port if request.client else None,
            )
        )
        record = registry.households.get(household_id)
        if record is None:
            return JSONResponse({"code": "household_not_found"}, status_code=404)
        return JSONResponse(record)

    return app


@pytest.fixture(scope="session")
async def fake_registry() -> AsyncIterator[FakeRegistry]:
    registry = FakeRegistry(url="")
    async with serving_app(_registry_app(registry)) as url:
        registry.url = url
        yield registry


@pytest.fixture(scope="session")
async def risk_database_url(make_database: Callable[[str], Awaitable[str]]) -> str:
    return await make_database("risk")


@pytest.fixture(scope="session")
async def risk_client(
    broker: EmbeddedBroker, risk_database_url: str, fake_registry: FakeRegistry
) -> AsyncIterator[httpx.AsyncClient]:
    """The risk service with its workers, reading household facts from the stand-in registry."""
    settings = RiskSettings(
        DATABASE_URL=risk_database_url,
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        REGISTRY_URL=fake_registry.url,
        OUTBOX_POLL_INTERVAL_S=0.2,
    )
    async with running_app(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def risk_client_without_registry(
    risk_client: httpx.AsyncClient, broker: EmbeddedBroker, risk_database_url: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The same database served by an API-only process whose registry URL is a closed port."""
    settings = RiskSettings(
        DATABASE_URL=risk_database_url,
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        ROLE="api",
        REGISTRY_URL=f"http://127.0.0.1:{free_port()}",
        REGISTRY_TIMEOUT_S=1.0,
    )
    async with running_app(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def risk_db(
    risk_client: httpx.AsyncClient, risk_database_url: str
) -> AsyncIterator[Database]:
    """Direct access to the risk database (migrated by the app) to check the read model."""
    database = Database(risk_database_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def producer(broker: EmbeddedBroker) -> AsyncIterator[Producer]:
    producer = Producer(RiskSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap))
    yield producer
    await producer.stop()


def household_registered(
    household_id: str | None = None,
    *,
    region: str = JALAL_ABAD[0],
    district: str = JALAL_ABAD[1],
    language: str = "ky",
    children: list[date] | None = None,
) -> CloudEvent:
    """A registry event as the registry publishes it, with a grandmother and the children."""
    household_id = household_id or str(uuid.uuid4())
    members = [
        registry_events.MemberFacts(
            person_id=str(uuid.uuid4()),
            role="grandparent",
            sex="female",
            birth_date=date(1956, 3, 2),
        )
    ] + [
        registry_events.MemberFacts(
            person_id=str(uuid.uuid4()), role="child", sex="male", birth_date=birth_date
        )
        for birth_date in (children or [])
    ]
    return new_event(
        source=registry_events.SOURCE,
        type=registry_events.HOUSEHOLD_REGISTERED.type,
        key=household_id,
        subject=f"household/{household_id}",
        data=registry_events.HouseholdRegistered(
            household_id=household_id,
            region=region,
            district=district,
            language=language,
            members=members,
        ),
    )


async def publish(producer: Producer, topic: str, event: CloudEvent) -> None:
    headers = kafka_headers(event.type, event.id, event.source)
    await producer.send(topic, event.partitionkey.encode(), event.to_bytes(), headers)


async def read_household(database: Database, household_id: str) -> RiskHousehold | None:
    async with database.sessionmaker() as session:
        return await session.get(RiskHousehold, household_id)


async def register_household(
    producer: Producer, database: Database, event: CloudEvent
) -> RiskHousehold:
    """Publish a HouseholdRegistered event and wait until the read model holds it."""
    await publish(producer, REGISTRY_HOUSEHOLDS, event)
    household_id = event.partitionkey

    async def arrived() -> bool:
        return await read_household(database, household_id) is not None

    await wait_until(arrived, timeout_s=30)
    household = await read_household(database, household_id)
    assert household is not None
    return household


async def events_for(
    bootstrap: str,
    topic: str,
    key: str,
    *,
    until: Callable[[list[CloudEvent]], bool],
    timeout_s: float = 20,
) -> list[CloudEvent]:
    """The events of one key on a shared topic, read from the start until `until` holds."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        request_timeout_ms=40000,
    )
    await asyncio.wait_for(consumer.start(), 30)
    found: list[CloudEvent] = []
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS.get(topic, 1))])
        await consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while not until(found) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                for record in records:
                    if record.key == key.encode():
                        found.append(CloudEvent.model_validate(json.loads(record.value or b"{}")))
    finally:
        await asyncio.wait_for(consumer.stop(), 10)
    return found
