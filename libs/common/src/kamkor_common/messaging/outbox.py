"""Transactional outbox: the event row commits with the change; a relay publishes it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import weakref
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from opentelemetry import trace
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    Text,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col

from kamkor_common import telemetry
from kamkor_common.db import UTCDateTime, utcnow
from kamkor_common.events.envelope import CONTENT_TYPE, CloudEvent
from kamkor_common.events.spec import D, EventSpec
from kamkor_common.messaging.producer import Producer

log = logging.getLogger("kamkor.messaging.outbox")


class OutboxMessage(SQLModel, table=True):
    """An event waiting to be published (or kept, once sent, for replay)."""

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_unsent", "sent_at", "id"),)

    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    event_id: str = Field(max_length=36, unique=True)
    event_type: str = Field(max_length=200)
    topic: str = Field(max_length=200)
    key: str = Field(max_length=200)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    trace_headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


def _row(topic: str, event: CloudEvent, carrier: dict[str, str]) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "event_type": event.type,
        "topic": topic,
        "key": event.partitionkey,
        "payload": event.model_dump_json(),
        "trace_headers": carrier,
    }


def add_event(session: AsyncSession, topic: str, event: CloudEvent) -> OutboxMessage:
    """Stage an event in the caller's transaction, with the current trace context."""
    row = OutboxMessage(**_row(topic, event, telemetry.current_carrier()))
    session.add(row)
    session.sync_session.info["outbox_pending"] = True
    return row


def bulk_rows(
    session: AsyncSession, spec: EventSpec[D], items: Sequence[D]
) -> list[dict[str, Any]]:
    """The outbox rows of many events of one spec, for the caller to insert in one statement
    (COPY) in its transaction; the relays are woken after the commit as for `stage`."""
    carrier, now = telemetry.current_carrier(), utcnow()
    rows = [{**_row(spec.topic, spec.build(data), carrier), "created_at": now} for data in items]
    if rows:
        session.sync_session.info["outbox_pending"] = True
    return rows


def stage(
    session: AsyncSession,
    spec: EventSpec[D],
    data: D,
    *,
    cause: CloudEvent | None = None,
    correlation_id: str | None = None,
) -> CloudEvent:
    """Build the event the spec declares and stage it on the spec's topic."""
    event = spec.build(data, cause=cause, correlation_id=correlation_id)
    add_event(session, spec.topic, event)
    return event


_relays: weakref.WeakSet[OutboxRelay] = weakref.WeakSet()
NOTIFY_CHANNEL = "kamkor_outbox"


@sa_event.listens_for(Session, "after_commit")
def _wake_relays(session: Session) -> None:
    if session.info.pop("outbox_pending", False):
        for relay in list(_relays):
            relay.wake()


@sa_event.listens_for(Session, "before_commit")
def _notify_other_processes(session: Session) -> None:
    """Wake the relay of another process (an API process's writes, a worker's relay).

    A process that runs its own relay wakes it after the commit and spares the round
    trip; its relay, when another replica's holds the lock, looks again shortly.
    PostgreSQL delivers the notification when the transaction commits, never before.
    """
    if (
        session.info.get("outbox_pending")
        and not any(relay.running for relay in list(_relays))
        and session.get_bind().dialect.name == "postgresql"
    ):
        session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))


@sa_event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("outbox_pending", None)


async def backlog(session: AsyncSession) -> int:
    """How many events wait to be published."""
    count, _ = await backlog_and_oldest(session)
    return count


async def backlog_and_oldest(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many events wait to be published, and when the oldest of them was written."""
    row = (
        await session.execute(
            select(func.count(), func.min(col(OutboxMessage.created_at))).where(
                col(OutboxMessage.sent_at).is_(None)
            )
        )
    ).one()
    # min() keeps the column's type: an aware UTC datetime on both databases.
    return int(row[0] or 0), row[1]


def kafka_headers(event_type: str, event_id: str, source: str) -> list[tuple[str, bytes]]:
    return [
        ("content-type", CONTENT_TYPE.encode()),
        ("ce_id", event_id.encode()),
        ("ce_type", event_type.encode()),
        ("ce_source", source.encode()),
    ]


# Any constant works: each service has a database of its own.
_RELAY_LOCK_KEY = 0x6B616D6B6F72


async def _sole_relay(session: AsyncSession) -> bool:
    """Let one relay per PostgreSQL database publish at a time, so rows go out in id order.

    Several replicas each run a relay; two publishing different batches at once could
    reorder a household's events.
    """
    granted = await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _RELAY_LOCK_KEY}
    )
    return bool(granted)


async def _mark_sent(session: AsyncSession, rows: list[OutboxMessage]) -> None:
    if rows:
        await session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_([row.id for row in rows]))
            .values(sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )


class OutboxRelay:
    """Publishes outbox rows in order; woken after each commit, and polling besides."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        producer: Producer,
        poll_interval_s: float = 1.0,
        batch_size: int = 100,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.sessionmaker = sessionmaker
        self.producer = producer
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.retention = retention
        self._wake = asyncio.Event()
        self._stopping = False
        self.running = False
        # Another replica's relay held the lock at the last look: its batch may not
        # include what was committed here since.
        self._contended = False
        self.last_error: str | None = None
        self._tracer = telemetry.tracer("kamkor.outbox")
        _relays.add(self)

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        engine = self.sessionmaker.kw.get("bind")
        listener = (
            asyncio.create_task(self._listen(engine.url))
            if engine is not None and engine.dialect.name == "postgresql"
            else None
        )
        self.running = True
        try:
            await self._relay()
        finally:
            self.running = False
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener

    async def _listen(self, url: URL) -> None:
        """Wake on NOTIFY from other processes' commits; the poll covers any gap."""
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        delay = 1.0
        while not self._stopping:
            try:
                connection = await asyncpg.connect(dsn, timeout=10)
            except Exception as exc:
                log.warning("outbox relay cannot listen for commits yet: %s", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)
                continue
            delay = 1.0
            lost = asyncio.Event()
            try:
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await connection.add_listener(NOTIFY_CHANNEL, lambda *_: self.wake())
                await lost.wait()  # until the connection drops; cancelled when the relay stops
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(connection.close(), 5)

    async def _relay(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                while await self.drain_once() == self.batch_size:
                    pass
                failures = 0
                self.last_error = None
            except Exception as exc:  # broker or database down: keep the rows, retry
                failures += 1
                self.last_error = repr(exc)
                log.warning("outbox relay could not publish (%s); will retry", exc)
                await asyncio.sleep(min(0.2 * 2**failures, 5.0))
                continue
            wait_s = min(self.poll_interval_s, 0.05) if self._contended else self.poll_interval_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait_s)
            self._wake.clear()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def drain_once(self) -> int:
        """Publish the next batch of unsent rows; returns how many were sent.

        On PostgreSQL the batch is read, published and marked in one transaction holding
        the relay lock, so that replicas publish in order. A SQLite database has one
        process and so one relay, and that process one connection: it is given back while
        the broker answers (or is away), so that a publish never holds up the API.
        """
        async with self.sessionmaker() as session:
            if session.get_bind().dialect.name == "postgresql":
                async with session.begin():
                    self._contended = not await _sole_relay(session)
                    if self._contended:
                        return 0
                    rows = await self._unsent(session)
                    await self._publish(rows)
                    await _mark_sent(session, rows)
                    return len(rows)
            async with session.begin():
                rows = await self._unsent(session)
            if rows:
                await self._publish(rows)
                async with session.begin():
                    await _mark_sent(session, rows)
            return len(rows)

    async def _unsent(self, session: AsyncSession) -> list[OutboxMessage]:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(col(OutboxMessage.sent_at).is_(None))
            .order_by(col(OutboxMessage.id))
            .limit(self.batch_size)
        )
        return list(rows.all())

    async def _publish(self, rows: list[OutboxMessage]) -> None:
        """Send the rows in order, each in a producer span under the trace that wrote it."""
        if not rows:
            return
        messages = []
        spans = []
        for row in rows:
            parent = telemetry.context_from_carrier(row.trace_headers or {})
            span = self._tracer.start_span(
                f"{row.topic} publish",
                context=parent,
                kind=trace.SpanKind.PRODUCER,
                attributes={
                    "messaging.system": "kafka",
                    "messaging.destination.name": row.topic,
                    "messaging.message.id": row.event_id,
                    "cloudevents.event_type": row.event_type,
                },
            )
            spans.append(span)
            with trace.use_span(span, end_on_exit=False):
                carrier = telemetry.current_carrier()
            source = json.loads(row.payload).get("source", "")
            headers = kafka_headers(row.event_type, row.event_id, source)
            headers += [(k, v.encode()) for k, v in carrier.items()]
            messages.append((row.topic, row.key.encode(), row.payload.encode(), headers))
        try:
            await self.producer.send_batch(messages)
        except Exception as exc:
            for span in spans:
                span.record_exception(exc)
                span.set_status(trace.Status(trace.StatusCode.ERROR))
                span.end()
            raise
        for span in spans:
            span.end()

    async def purge_sent(self, session: AsyncSession) -> int:
        """Forget sent rows older than the retention period, in the caller's transaction."""
        cutoff = utcnow() - self.retention
        result: Any = await session.execute(
            delete(OutboxMessage).where(col(OutboxMessage.sent_at) < cutoff)
        )
        return int(result.rowcount or 0)
