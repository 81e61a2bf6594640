"""The referral service running in-process on PostgreSQL and the embedded broker."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas import risk, shelter
from kamkor_common.events.topics import RISK_FLAGS, SHELTER_CAPACITY
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxRelay, kafka_headers
from kamkor_common.messaging.producer import Producer
from kamkor_common.reference.partners import SHELTERS
from kamkor_common.testing import dev_token, running_app, wait_until
from kamkor_referral.capacity import service as capacity_service
from kamkor_referral.capacity.models import ShelterAvailability
from kamkor_referral.config import ReferralSettings
from kamkor_referral.main import create_app
from tests.referral.quiet import quiet  # noqa: F401  (a fixture for the deadline tests)
from tests.referral.talas import talas  # noqa: F401  (a fixture for the partner API tests)


@dataclass
class ReferralHarness:
    """The running app, a producer to drive its consumers, and ways to look at the results."""

    app: FastAPI
    client: httpx.AsyncClient
    settings: ReferralSettings
    database: Database
    producer: Producer
    bootstrap: str

    def token(self, role: str = "admin", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {dev_token(role, settings=self.settings, **claims)}"}

    async def send(self, topic: str, event: CloudEvent) -> None:
        """Publish an event as its producing service would."""
        headers = kafka_headers(event.type, event.id, event.source)
        await self.producer.send(topic, event.partitionkey.encode(), event.to_bytes(), headers)

    def family_flagged(
        self,
        household_id: str,
        *domains: tuple[str, str],
        region: str = "KG-J",
        district: str = "KG-J-06",
        language: str = "ky",
        children_ages: Sequence[int] = (4, 9),
        member_sexes: Sequence[str] | None = None,
    ) -> CloudEvent:
        """A FamilyFlagged event; each domain is (domain, severity) with a fresh flag id."""
        data = risk.FamilyFlagged(
            screening_id=str(uuid.uuid4()),
            household_id=household_id,
            region=region,
            district=district,
            language=language,
            children_ages=list(children_ages),
            rule_set_version="test",
            domains=[
                risk.DomainFinding(
                    domain=domain,
                    score=80,
                    severity=severity,
                    reasons=["test_indicator"],
                    flag_id=str(uuid.uuid4()),
                )
                for domain, severity in domains
            ],
            member_sexes=None if member_sexes is None else list(member_sexes),
        )
        return _event(risk.SOURCE, risk.FAMILY_FLAGGED.type, household_id, data)

    async def flag(self, household_id: str, *domains: tuple[str, str], **kw: Any) -> CloudEvent:
        event = self.family_flagged(household_id, *domains, **kw)
        await self.send(RISK_FLAGS, event)
        return event

    async def shelter_event(self, type: str, key: str, data: BaseModel) -> CloudEvent:
        event = _event(shelter.SOURCE, type, key, data)
        await self.send(SHELTER_CAPACITY, event)
        return event

    async def referrals(self, household_id: str) -> dict[str, dict[str, Any]]:
        """The household's referrals by service type, as an admin sees them."""
        response = await self.client.get(
            "/api/v1/referrals", params={"household_id": household_id}, headers=self.token()
        )
        assert response.status_code == 200, response.text
        return {r["service_type"]: r for r in response.json()["items"]}

    async def wait_for_referrals(
        self,
        household_id: str,
        condition: Callable[[dict[str, dict[str, Any]]], bool],
        timeout_s: float = 20,
    ) -> dict[str, dict[str, Any]]:
        """Poll the household's referrals until the condition holds."""
        found: dict[str, dict[str, Any]] = {}

        async def reached() -> bool:
            found.clear()
            found.update(await self.referrals(household_id))
            return condition(found)

        await wait_until(reached, timeout_s=timeout_s)
        return found

    async def events(
        self,
        topic: str,
        match: Callable[[CloudEvent], bool],
        *,
        count: int = 1,
        timeout_s: float = 20,
        settle_s: float = 0.0,
    ) -> list[CloudEvent]:
        """The topic's events that match, read from the start until `count` arrived.

        With `settle_s` it keeps reading that long after reaching `count`, so that a test
        can tell that no further matching event came.
        """
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap,
            # No group: nothing to join or rebalance, the reader just reads every partition.
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            fetch_max_wait_ms=20,
            request_timeout_ms=40000,
        )
        await asyncio.wait_for(consumer.start(), 30)
        found: list[CloudEvent] = []
        deadline = time.monotonic() + timeout_s
        settled: float | None = None
        try:
            while time.monotonic() < deadline:
                if len(found) >= count:
                    settled = settled or time.monotonic() + settle_s
                    if time.monotonic() >= settled:
                        break
                batch = await consumer.getmany(timeout_ms=100)
                for records in batch.values():
                    for record in records:
                        event = CloudEvent.from_bytes(record.value or b"")
                        if match(event):
                            found.append(event)
        finally:
            await asyncio.wait_for(consumer.stop(), 10)
        return found

    async def availability(self) -> dict[tuple[str, str], ShelterAvailability]:
        async with self.database.sessionmaker() as session:
            rows = await session.scalars(select(ShelterAvailability))
            return {(r.shelter_id, r.category): r for r in rows}

    async def wait_handled(self, event: CloudEvent, timeout_s: float = 20) -> None:
        """Wait until the service's consumer has handled the event (its inbox row committed)."""

        async def handled() -> bool:
            async with self.database.sessionmaker() as session:
                found = await session.scalar(
                    select(func.count())
                    .select_from(InboxMessage)
                    .where(col(InboxMessage.event_id) == event.id)
                )
            return bool(found)

        await wait_until(handled, timeout_s=timeout_s)


def _event(source: str, type: str, key: str, data: BaseModel) -> CloudEvent:
    return new_event(source=source, type=type, key=key, data=data, subject=f"test/{key}")


@pytest.fixture(scope="session")
async def referral(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[ReferralHarness]:
    """The referral service with its seeded directory and shelter capacity from events."""
    settings = ReferralSettings(
        DATABASE_URL=await make_database("referral"),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        SEED_REFERENCE_DATA=True,
        OUTBOX_POLL_INTERVAL_S=0.2,
        WEBHOOK_POLL_INTERVAL_S=0.2,
    )
    app = create_app(settings)
    database = Database(settings.DATABASE_URL)
    producer = Producer(settings)
    async with running_app(app) as client:
        harness = ReferralHarness(
            app=app,
            client=client,
            settings=settings,
            database=database,
            producer=producer,
            bootstrap=broker.bootstrap,
        )
        await _publish_seeded_capacity(harness)
        yield harness
    await producer.stop()
    await database.dispose()


@pytest.fixture(scope="session")
async def quiet_referral(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[ReferralHarness]:
    """A second referral service on a database of its own, with no consumers or timers.

    A deadline pass run with a clock hours ahead handles every referral of its database
    that is due by then: on the shared database it would move the other tests' referrals.
    A second member of the `referral` consumer group would take partitions from the shared
    service, so this one runs as `api` only: tests open its referrals and apply its shelter
    capacity by calling the services the consumers call, and a relay of the fixture's own
    publishes its outbox to the broker.
    """
    settings = ReferralSettings(
        DATABASE_URL=await make_database("referral_quiet"),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        SEED_REFERENCE_DATA=True,
        ROLE="api",
    )
    app = create_app(settings)
    database = Database(settings.DATABASE_URL)
    producer = Producer(settings)
    relay = OutboxRelay(sessionmaker=database.sessionmaker, producer=producer, poll_interval_s=0.2)
    async with running_app(app) as client:
        async with database.sessionmaker() as session, session.begin():
            for snapshot in _seeded_capacity():
                await capacity_service.apply_snapshot(session=session, snapshot=snapshot)
        relaying = asyncio.create_task(relay.run())
        yield ReferralHarness(
            app=app,
            client=client,
            settings=settings,
            database=database,
            producer=producer,
            bootstrap=broker.bootstrap,
        )
        relay.stop()
        await asyncio.wait_for(relaying, 10)
    await producer.stop()
    await database.dispose()


# Every shelter referral of the run keeps a bed "awaiting an answer" for a while; ten times
# the seeded beds keep the order of the shelters (and so routing) but never run them out.
CAPACITY_SCALE = 10


def _seeded_capacity() -> list[shelter.CapacityChanged]:
    """Every seeded shelter with all its beds free, as the shelter service would announce it."""
    as_of = datetime.now(UTC)
    return [
        shelter.CapacityChanged(
            shelter_id=seeded.id,
            organization_id=seeded.organization_id,
            region=seeded.region,
            district=seeded.district,
            categories=[
                shelter.CategoryCapacity(
                    category=category,
                    total=total * CAPACITY_SCALE,
                    out_of_service=0,
                    occupied=0,
                    held=0,
                    available=total * CAPACITY_SCALE,
                )
                for category, total in seeded.beds.items()
            ],
            as_of=as_of,
        )
        for seeded in SHELTERS
    ]


async def _publish_seeded_capacity(harness: ReferralHarness) -> None:
    """Every seeded shelter announces all its beds free, as the shelter service would."""
    for snapshot in _seeded_capacity():
        await harness.shelter_event(shelter.CAPACITY_CHANGED.type, snapshot.shelter_id, snapshot)
    wanted = {(s.id, category) for s in SHELTERS for category in s.beds}

    async def known() -> bool:
        return wanted <= set(await harness.availability())

    # Capacity and flags travel on different topics: routing tests need the beds known first.
    await wait_until(known, timeout_s=30)
