"""The outbox relay publishes committed events in order, with the writer's trace context."""

from __future__ import annotations

import asyncio
import uuid
import weakref
from datetime import timedelta

import asyncpg
import pytest
from opentelemetry import trace
from pydantic import BaseModel
from sqlalchemy import delete, select, text

from kamkor_common import telemetry
from kamkor_common.db import Database, utcnow
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging import outbox
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.outbox import NOTIFY_CHANNEL, OutboxMessage, OutboxRelay
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.messaging.testing import read_topic
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import admin_url


class Ping(BaseModel):
    n: int


def _event(key: str, n: int) -> CloudEvent:
    return new_event(source="/kamkor/test", type="kamkor.test.ping.v1", key=key, data=Ping(n=n))


async def _clear(db: Database) -> None:
    async with db.sessionmaker() as session, session.begin():
        await session.execute(delete(OutboxMessage))


class TestOutboxRelay:
    async def test_publishes_in_order_with_trace_and_marks_sent(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        await _clear(messaging_db)
        topic = f"test.outbox.{uuid.uuid4().hex[:6]}"
        await ensure_topics(broker.bootstrap, {topic: 2})
        settings = KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap)
        producer = Producer(settings)
        relay = OutboxRelay(
            sessionmaker=messaging_db.sessionmaker, producer=producer, poll_interval_s=30
        )
        task = asyncio.create_task(relay.run())
        telemetry.setup("test")
        try:
            with trace.get_tracer("test").start_as_current_span("request") as span:
                trace_id = format(span.get_span_context().trace_id, "032x")
                async with messaging_db.sessionmaker() as session, session.begin():
                    for n in range(5):
                        outbox.add_event(session, topic, _event("household-1", n))
            # The poll interval is 30 s: only the wake-up after commit can publish this fast.
            records = await read_topic(broker.bootstrap, topic, min_records=5, timeout_s=10)
        finally:
            relay.stop()
            await task
            await producer.stop()
        assert [CloudEvent.from_bytes(r.value).data["n"] for r in records] == [0, 1, 2, 3, 4]
        assert {r.key for r in records} == {b"household-1"}
        headers = dict(records[0].headers)
        assert headers["ce_type"] == b"kamkor.test.ping.v1"
        assert headers["content-type"].startswith(b"application/cloudevents+json")
        assert headers["traceparent"].decode().split("-")[1] == trace_id
        async with messaging_db.sessionmaker() as session:
            assert await outbox.backlog(session) == 0

    async def test_rows_wait_while_the_broker_is_away(self, messaging_db: Database) -> None:
        await _clear(messaging_db)
        dead = KamkorSettings(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1", KAFKA_SEND_TIMEOUT_S=1)
        producer = Producer(dead)
        relay = OutboxRelay(sessionmaker=messaging_db.sessionmaker, producer=producer)
        async with messaging_db.sessionmaker() as session, session.begin():
            outbox.add_event(session, "test.unreachable", _event("k", 1))
        try:
            await relay.drain_once()
        except Exception:
            pass
        else:
            raise AssertionError("publishing to an unreachable broker must fail")
        async with messaging_db.sessionmaker() as session:
            assert await outbox.backlog(session) == 1
        await producer.stop()

    async def test_rolled_back_change_publishes_nothing(self, messaging_db: Database) -> None:
        await _clear(messaging_db)
        try:
            async with messaging_db.sessionmaker() as session, session.begin():
                outbox.add_event(session, "test.rollback", _event("k", 1))
                raise RuntimeError("business rule failed")
        except RuntimeError:
            pass
        async with messaging_db.sessionmaker() as session:
            assert await outbox.backlog(session) == 0

    async def test_sent_rows_are_kept_for_the_retention_period_only(
        self, messaging_db: Database
    ) -> None:
        await _clear(messaging_db)
        relay = OutboxRelay(
            sessionmaker=messaging_db.sessionmaker,
            producer=Producer(KamkorSettings()),
            retention=timedelta(days=7),
        )
        now = utcnow()
        async with messaging_db.sessionmaker() as session, session.begin():
            old = outbox.add_event(session, "test.retention", _event("k", 1))
            recent = outbox.add_event(session, "test.retention", _event("k", 2))
            unsent = outbox.add_event(session, "test.retention", _event("k", 3))
            old.sent_at = now - timedelta(days=8)
            recent.sent_at = now - timedelta(days=1)
        async with messaging_db.sessionmaker() as session, session.begin():
            assert await relay.purge_sent(session) == 1
        async with messaging_db.sessionmaker() as session:
            left = set((await session.scalars(select(OutboxMessage.event_id))).all())
        assert left == {recent.event_id, unsent.event_id}

    async def test_two_relays_on_one_database_keep_the_order(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        await _clear(messaging_db)
        topic = f"test.outbox.pair.{uuid.uuid4().hex[:6]}"
        await ensure_topics(broker.bootstrap, {topic: 1})
        async with messaging_db.sessionmaker() as session, session.begin():
            for n in range(300):
                outbox.add_event(session, topic, _event("household-1", n))
        settings = KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap)
        relays = [
            OutboxRelay(
                sessionmaker=messaging_db.sessionmaker,
                producer=Producer(settings),
                batch_size=20,
                poll_interval_s=0.05,
            )
            for _ in range(2)
        ]
        tasks = [asyncio.create_task(relay.run()) for relay in relays]
        try:
            records = await read_topic(broker.bootstrap, topic, min_records=300, timeout_s=20)
        finally:
            for relay in relays:
                relay.stop()
            await asyncio.gather(*tasks)
            for relay in relays:
                await relay.producer.stop()
        numbers = [CloudEvent.from_bytes(r.value).data["n"] for r in records]
        assert numbers == list(range(300))


class TestWakeAcrossProcesses:
    async def test_a_commit_notifies_listeners_on_postgresql(
        self, messaging_db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A process without a relay of its own notifies; relays other tests of this
        # process left behind (apps served in their own event loops) must not count.
        monkeypatch.setattr(outbox, "_relays", weakref.WeakSet())
        connection = await asyncpg.connect(
            admin_url().rsplit("/", 1)[0] + "/" + messaging_db.engine.url.database
        )
        heard = asyncio.Event()
        await connection.add_listener(NOTIFY_CHANNEL, lambda *_: heard.set())
        try:
            async with messaging_db.sessionmaker() as session, session.begin():
                outbox.add_event(session, "test.notify", _event("k", 1))
            await asyncio.wait_for(heard.wait(), 5)
        finally:
            await connection.close()

    async def test_a_notification_wakes_the_relay_before_its_poll(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        await _clear(messaging_db)
        topic = f"test.outbox.notify.{uuid.uuid4().hex[:6]}"
        await ensure_topics(broker.bootstrap, {topic: 1})
        producer = Producer(KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap))
        relay = OutboxRelay(
            sessionmaker=messaging_db.sessionmaker, producer=producer, poll_interval_s=60
        )
        task = asyncio.create_task(relay.run())
        try:
            await asyncio.sleep(1.0)  # the relay has drained once and waits for a wake-up
            # Written as another process would: no in-process wake-up, only the NOTIFY.
            event = _event("k", 1)
            async with messaging_db.sessionmaker() as session, session.begin():
                session.add(
                    OutboxMessage(
                        event_id=event.id,
                        event_type=event.type,
                        topic=topic,
                        key=event.partitionkey,
                        payload=event.model_dump_json(),
                    )
                )
                await session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
            records = await read_topic(broker.bootstrap, topic, min_records=1, timeout_s=15)
        finally:
            relay.stop()
            await task
            await producer.stop()
        assert [r.key for r in records] == [b"k"]
