"""A lost database connection is not the event's fault: the event waits, it is not parked."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.consumer import ConsumerSpec, EventConsumer
from kamkor_common.messaging.outbox import kafka_headers
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import wait_until

EVENT_TYPE = "kamkor.test.outage.v1"


class Ping(BaseModel):
    n: int


def _lost_connection() -> DBAPIError:
    """What SQLAlchemy raises when PostgreSQL terminates the session mid-transaction."""
    cause = asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation")
    return DBAPIError("INSERT INTO inbox_messages ...", {}, cause)


class TestDatabaseOutageInAHandler:
    async def test_the_event_waits_for_the_database_beyond_its_retries(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        topic = f"test.outage.{uuid.uuid4().hex[:6]}"
        settings = KamkorSettings(
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
            CONSUMER_MAX_RETRIES=1,
            CONSUMER_RETRY_BACKOFF_S=0.01,
        )
        await ensure_topics(broker.bootstrap, {topic: 1})
        failures_left = 4  # more than the two attempts an event's own fault gets
        seen: list[int] = []

        async def handle(*, session: AsyncSession, event: CloudEvent) -> None:
            nonlocal failures_left
            if failures_left > 0:
                failures_left -= 1
                raise _lost_connection()
            seen.append(Ping.model_validate(event.data).n)

        producer = Producer(settings)
        consumer = EventConsumer(
            spec=ConsumerSpec(f"test-outage-{uuid.uuid4().hex[:6]}", [topic], {EVENT_TYPE: handle}),
            settings=settings,
            sessionmaker=messaging_db.sessionmaker,
            producer=producer,
        )
        task = asyncio.create_task(consumer.run())
        try:
            for n in (1, 2):
                event = new_event(source="/kamkor/test", type=EVENT_TYPE, key="h1", data=Ping(n=n))
                await producer.send(
                    topic,
                    b"h1",
                    event.to_bytes(),
                    kafka_headers(event.type, event.id, event.source),
                )
            await wait_until(lambda: seen == [1, 2], timeout_s=30)
        finally:
            consumer.stop()
            await asyncio.wait_for(task, 20)
            await consumer.close()
            await producer.stop()
        assert failures_left == 0
        assert consumer.dead_lettered == 0
