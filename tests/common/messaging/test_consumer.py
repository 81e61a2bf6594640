"""The consumer runner: inbox skips duplicates, bad events go to the DLQ, work goes on."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import Database, utcnow
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging import dlq, inbox
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.consumer import ConsumerSpec, EventConsumer
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import kafka_headers
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.messaging.testing import read_topic
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import wait_until

EVENT_TYPE = "kamkor.test.ping.v1"


class Ping(BaseModel):
    n: int


class Harness:
    def __init__(self, broker: EmbeddedBroker, db: Database, *, fail_first: int = 0) -> None:
        self.topic = f"test.consumer.{uuid.uuid4().hex[:6]}"
        self.group = f"test-group-{uuid.uuid4().hex[:6]}"
        self.seen: list[int] = []
        self.failures_left = fail_first
        self.accept_negative = False
        self.settings = KamkorSettings(
            KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
            CONSUMER_RETRY_BACKOFF_S=0.01,
            CONSUMER_MAX_RETRIES=2,
        )
        self.producer = Producer(self.settings)
        self.consumer = EventConsumer(
            spec=ConsumerSpec(self.group, [self.topic], {EVENT_TYPE: self.handle}),
            settings=self.settings,
            sessionmaker=db.sessionmaker,
            producer=self.producer,
        )

    async def handle(self, *, session: AsyncSession, event: CloudEvent) -> None:
        ping = Ping.model_validate(event.data)
        if ping.n < 0 and not self.accept_negative:
            if self.failures_left > 0:
                self.failures_left -= 1
            raise RuntimeError(f"cannot handle {ping.n}")
        self.seen.append(ping.n)

    async def send(self, event: CloudEvent | bytes, key: bytes = b"h1") -> None:
        if isinstance(event, CloudEvent):
            headers = kafka_headers(event.type, event.id, event.source)
            await self.producer.send(self.topic, key, event.to_bytes(), headers)
        else:
            await self.producer.send(self.topic, key, event, [])

    async def __aenter__(self) -> Harness:
        await ensure_topics(self.settings.KAFKA_BOOTSTRAP_SERVERS, {self.topic: 1})
        self.task = asyncio.create_task(self.consumer.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.consumer.stop()
        await asyncio.wait_for(self.task, 10)
        await self.consumer.close()
        await self.producer.stop()


def _ping(n: int) -> CloudEvent:
    return new_event(source="/kamkor/test", type=EVENT_TYPE, key="h1", data=Ping(n=n))


class TestInbox:
    async def test_a_redelivered_event_is_handled_once(
        self, broker: EmbeddedBroker, any_messaging_db: Database
    ) -> None:
        async with Harness(broker, any_messaging_db) as h:
            event = _ping(1)
            await h.send(event)
            await h.send(event)  # the same event id again, as after a crash before commit
            await h.send(_ping(2))
            await wait_until(lambda: h.consumer.handled + h.consumer.duplicates >= 3)
        assert h.seen == [1, 2]
        assert h.consumer.duplicates == 1


class TestDeadLetter:
    async def test_malformed_event_goes_to_dlq_and_consumer_goes_on(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        async with Harness(broker, messaging_db) as h:
            await h.send(b"{not json")
            bad_data = _ping(0).model_copy(update={"data": {"n": "not a number"}})
            await h.send(bad_data)
            await h.send(_ping(7))
            await wait_until(lambda: h.seen == [7])
        records = await read_topic(broker.bootstrap, h.consumer.dlq, min_records=2)
        assert len(records) == 2
        errors = [dict(r.headers)["dlq_error"].decode() for r in records]
        assert errors[0].startswith("malformed envelope")
        assert "ValidationError" in errors[1]
        first = dict(records[0].headers)
        assert first["dlq_source_topic"].decode() == h.topic
        assert first["dlq_source_offset"] == b"0"
        assert records[0].value == b"{not json"

    async def test_failing_handler_is_retried_then_dead_lettered(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        async with Harness(broker, messaging_db, fail_first=99) as h:
            await h.send(_ping(-1))
            await h.send(_ping(3))
            await wait_until(lambda: h.seen == [3])
        assert h.failures_left == 99 - 3  # one try and two retries
        records = await read_topic(broker.bootstrap, h.consumer.dlq, min_records=1)
        assert "cannot handle -1" in dict(records[0].headers)["dlq_error"].decode()


class TestReplay:
    async def test_a_dead_letter_replayed_after_the_fix_is_handled_once(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        async with Harness(broker, messaging_db, fail_first=99) as h:
            await h.send(_ping(-5))
            await wait_until(lambda: h.consumer.dead_lettered == 1)
            letters = await dlq.list_dead_letters(broker.bootstrap, h.group)
            assert [(x.event_type, x.source_topic, x.source_offset) for x in letters] == [
                (EVENT_TYPE, h.topic, "0")
            ]
            assert "cannot handle -5" in letters[0].error

            h.accept_negative = True  # the fix is deployed
            replayed = await dlq.replay(h.settings, h.group)
            assert len(replayed) == 1
            await wait_until(lambda: h.seen == [-5])
            # A second replay finds nothing new: each letter is replayed once.
            assert await dlq.replay(h.settings, h.group) == []
        assert h.consumer.dead_lettered == 1


class TestHealth:
    async def test_a_consumer_is_healthy_only_while_it_polls(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        async with Harness(broker, messaging_db) as h:
            await wait_until(lambda: h.consumer.started and h.consumer.last_poll is not None)
            assert h.consumer.healthy(max_poll_gap_s=30)
            assert not h.consumer.healthy(max_poll_gap_s=-1)  # a poll gap too long
        assert not h.consumer.running
        assert not h.consumer.healthy(max_poll_gap_s=30)


class TestInboxRetention:
    async def test_old_inbox_rows_are_purged_recent_ones_kept(self, messaging_db: Database) -> None:
        group = f"retention-{uuid.uuid4().hex[:6]}"
        async with messaging_db.sessionmaker() as session, session.begin():
            for event_id, age_days in (("old", 40), ("recent", 1)):
                session.add(
                    InboxMessage(
                        consumer_group=group,
                        event_id=f"{group}-{event_id}",
                        event_type="t",
                        processed_at=utcnow() - timedelta(days=age_days),
                    )
                )
        async with messaging_db.sessionmaker() as session, session.begin():
            await inbox.purge(session, older_than=utcnow() - timedelta(days=30))
        async with messaging_db.sessionmaker() as session:
            left = (
                await session.scalars(
                    select(InboxMessage.event_id).where(InboxMessage.consumer_group == group)
                )
            ).all()
        assert left == [f"{group}-recent"]


async def _send_interleaved(h: Harness, count: int) -> None:
    """Events 0..count-1 of keys a and b, alternating, on one partition."""
    for n in range(count):
        for key in ("a", "b"):
            event = new_event(source="/kamkor/test", type=EVENT_TYPE, key=key, data=Ping(n=n))
            await h.send(event, key=key.encode())


class TestKeysSideBySide:
    async def test_keys_are_handled_at_once_and_each_key_keeps_its_order(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        # The first event of key a waits until key b's first event is being handled:
        # a consumer that handled one event at a time would never get there. (PostgreSQL
        # only: on SQLite a process has one connection, so keys take turns by design.)
        b_started = asyncio.Event()
        order: dict[str, list[int]] = {"a": [], "b": []}

        async with Harness(broker, messaging_db) as h:

            async def handle(*, session: AsyncSession, event: CloudEvent) -> None:
                n = Ping.model_validate(event.data).n
                key = event.partitionkey
                if key == "b" and n == 0:
                    b_started.set()
                if key == "a" and n == 0:
                    await asyncio.wait_for(b_started.wait(), 15)
                order[key].append(n)

            h.consumer.spec.handlers[EVENT_TYPE] = handle  # type: ignore[index]
            await _send_interleaved(h, 5)
            await wait_until(lambda: len(order["a"]) + len(order["b"]) == 10)
        assert order == {"a": [0, 1, 2, 3, 4], "b": [0, 1, 2, 3, 4]}

    async def test_a_failing_key_waits_while_the_others_go_on(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        order: dict[str, list[int]] = {"a": [], "b": []}
        failures = {"left": 2}

        async with Harness(broker, messaging_db) as h:

            async def handle(*, session: AsyncSession, event: CloudEvent) -> None:
                n = Ping.model_validate(event.data).n
                key = event.partitionkey
                if key == "a" and n == 1 and failures["left"]:
                    failures["left"] -= 1
                    raise ConnectionError("database away")  # not the event's fault
                order[key].append(n)

            h.consumer.spec.handlers[EVENT_TYPE] = handle  # type: ignore[index]
            await _send_interleaved(h, 3)
            await wait_until(lambda: len(order["a"]) == 3, timeout_s=30)
        # Key a's second event was retried until it went through, and its third waited for
        # it; key b's events were each handled once, redelivered copies skipped.
        assert order == {"a": [0, 1, 2], "b": [0, 1, 2]}
        assert failures["left"] == 0


class TestOtherConsumersEvents:
    async def test_an_event_of_a_type_without_handler_is_skipped_by_its_header(
        self, broker: EmbeddedBroker, messaging_db: Database
    ) -> None:
        async with Harness(broker, messaging_db) as h:
            # Not even read: the header says it is for somebody else.
            await h.producer.send(
                h.topic, b"h1", b"{not for us", [("ce_type", b"kamkor.other.thing.v1")]
            )
            await h.send(_ping(3))
            await wait_until(lambda: h.seen == [3])
        assert h.consumer.dead_lettered == 0
        assert h.consumer.handled == 1
