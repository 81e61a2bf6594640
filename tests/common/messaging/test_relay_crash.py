"""The relay dies between publishing and marking rows sent: the events go out again, and
the consumer's inbox handles each of them once (DESIGN §3, delivery guarantees)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from pydantic import BaseModel
from sqlalchemy import delete, select
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging import outbox
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.consumer import ConsumerSpec, EventConsumer
from kamkor_common.messaging.outbox import OutboxMessage, OutboxRelay
from kamkor_common.messaging.producer import Headers, Producer, ensure_topics
from kamkor_common.messaging.testing import read_topic
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import wait_until

EVENT_TYPE = "kamkor.test.relay.v1"


class Ping(BaseModel):
    n: int


class MarkFails(Session):
    """The relay's session: its commit fails once after a successful publish."""

    armed = False


@sa_event.listens_for(MarkFails, "before_commit")
def _lose_the_mark(session: Session) -> None:
    if MarkFails.armed:
        MarkFails.armed = False
        raise ConnectionResetError("the database connection was lost before the mark")


class PublishThenCrash(Producer):
    """A producer whose batches reach the broker; then the mark's commit is made to fail."""

    batches = 0

    async def send_batch(self, messages: Sequence[tuple[str, bytes, bytes, Headers]]) -> None:
        await super().send_batch(messages)
        self.batches += 1
        if self.batches == 1:
            MarkFails.armed = True


class TestRelayCrashBetweenPublishAndMark:
    async def test_rows_are_published_again_and_handled_once(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        topic = f"test.relay.{uuid.uuid4().hex[:6]}"
        group = f"test-relay-{uuid.uuid4().hex[:6]}"
        await ensure_topics(broker.bootstrap, {topic: 1})
        async with messaging_db.sessionmaker() as session, session.begin():
            await session.execute(delete(OutboxMessage))
        settings = KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap)
        producer = PublishThenCrash(settings)
        relay = OutboxRelay(
            sessionmaker=async_sessionmaker(
                messaging_db.engine, expire_on_commit=False, sync_session_class=MarkFails
            ),
            producer=producer,
            poll_interval_s=0.2,
        )
        seen: list[int] = []

        async def handle(*, session: AsyncSession, event: CloudEvent) -> None:
            seen.append(Ping.model_validate(event.data).n)

        consumer_producer = Producer(settings)
        consumer = EventConsumer(
            spec=ConsumerSpec(group, [topic], {EVENT_TYPE: handle}),
            settings=settings,
            sessionmaker=messaging_db.sessionmaker,
            producer=consumer_producer,
        )
        relay_task = asyncio.create_task(relay.run())
        consumer_task = asyncio.create_task(consumer.run())
        try:
            async with messaging_db.sessionmaker() as session, session.begin():
                for n in range(3):
                    event = new_event(
                        source="/kamkor/test", type=EVENT_TYPE, key="h1", data=Ping(n=n)
                    )
                    outbox.add_event(session, topic, event)
            records = await read_topic(broker.bootstrap, topic, min_records=6, timeout_s=30)
            await wait_until(lambda: consumer.handled + consumer.duplicates >= 6, timeout_s=30)
        finally:
            relay.stop()
            consumer.stop()
            await asyncio.wait_for(asyncio.gather(relay_task, consumer_task), 20)
            await consumer.close()
            await producer.stop()
            await consumer_producer.stop()

        # Published twice: the first mark was lost, so the relay sent the rows again.
        assert producer.batches == 2
        ids = [dict(r.headers)["ce_id"] for r in records]
        assert len(ids) == 6 and len(set(ids)) == 3
        async with messaging_db.sessionmaker() as session:
            rows = (await session.scalars(select(OutboxMessage))).all()
        assert all(row.sent_at is not None for row in rows)
        # Handled once each, in order; the copies were skipped by the inbox.
        assert seen == [0, 1, 2]
        assert consumer.duplicates == 3
