"""Consumer runner: manual offset commits, inbox deduplication, bounded retries, DLQ."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kamkor_common import metrics, telemetry
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.topics import dlq_topic
from kamkor_common.messaging import inbox
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.settings import KamkorSettings

log = logging.getLogger("kamkor.messaging.consumer")


class Handler(Protocol):
    def __call__(self, *, session: AsyncSession, event: CloudEvent) -> Awaitable[None]: ...


class PermanentError(Exception):
    """The event can never be handled (bad data): no retries, straight to the DLQ."""


@dataclass(frozen=True)
class ConsumerSpec:
    group_id: str
    topics: Sequence[str]
    handlers: Mapping[str, Handler]


class EventConsumer:
    """Runs one consumer group's handlers, each event in its own database transaction."""

    def __init__(
        self,
        *,
        spec: ConsumerSpec,
        settings: KamkorSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        producer: Producer,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.producer = producer
        self._sleep = sleep
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = False
        self.started = False
        self.running = False
        self.last_poll: float | None = None
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0
        # How many keys of a batch are handled at once (each key's events stay in order).
        self._slots = asyncio.Semaphore(max(1, settings.CONSUMER_CONCURRENCY))
        self._tracer = telemetry.tracer("kamkor.consumer")

    @property
    def dlq(self) -> str:
        return dlq_topic(self.spec.group_id)

    async def run(self) -> None:
        """Join the group (retrying while the broker is away) and process until stopped."""
        while not self._stopping:
            try:
                await self._start()
                break
            except Exception as exc:
                log.warning("consumer %s cannot start yet: %s", self.spec.group_id, exc)
                await self._sleep(1.0)
        consumer = self._consumer
        if consumer is None:
            return
        self.started = self.running = True
        # Every series exists from the start, so that `increase()` and alerts see a zero.
        for outcome in ("handled", "skipped", "duplicate", "dead_lettered"):
            self._count(outcome, 0)
        metrics.dlq_events.add(0, {"group": self.spec.group_id})
        log.info("consumer %s joined, topics %s", self.spec.group_id, list(self.spec.topics))
        try:
            while not self._stopping:
                await self._poll_once(consumer)
        finally:
            self.running = False

    async def _poll_once(self, consumer: AIOKafkaConsumer) -> None:
        try:
            batch = await consumer.getmany(
                timeout_ms=500, max_records=self.settings.CONSUMER_BATCH_SIZE
            )
        except KafkaError as exc:
            log.warning("consumer %s poll failed: %s", self.spec.group_id, exc)
            await self._sleep(0.5)
            return
        self.last_poll = time.monotonic()
        if batch:
            await asyncio.gather(
                *(self._process_partition(consumer, tp, records) for tp, records in batch.items())
            )

    async def _process_partition(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        records: Sequence[ConsumerRecord[bytes, bytes]],
    ) -> None:
        """Handle one partition's batch: keys side by side, each key's events in order.

        Order is only promised per key, so the events of different households need not
        wait for each other's database round trips. The offset committed is the first
        event not handled yet; one commit per batch, since the inbox makes a redelivery
        after a crash harmless and a commit per event would cost a round trip each.
        """
        chains: dict[bytes | None, list[int]] = {}
        for index, record in enumerate(records):
            chains.setdefault(record.key, []).append(index)
        done = [False] * len(records)
        first_failure = len(records)  # past the end while nothing has failed

        async def run_chain(indexes: list[int]) -> None:
            nonlocal first_failure
            async with self._slots:
                for index in indexes:
                    if self._stopping or first_failure < index:
                        return
                    record = records[index]
                    try:
                        await self.process(record)
                    except Exception:
                        # Not the event's fault (that path ends in the DLQ): keep the
                        # partition where it is and try the same event again shortly.
                        log.exception(
                            "consumer %s failed on %s@%d; retrying",
                            self.spec.group_id,
                            tp,
                            record.offset,
                        )
                        first_failure = min(first_failure, index)
                        return
                    done[index] = True

        await asyncio.gather(*(run_chain(indexes) for indexes in chains.values()))
        first_open = next((i for i, handled in enumerate(done) if not handled), len(records))
        if first_open > 0:
            await self._commit(consumer, tp, records[first_open - 1].offset + 1)
        position = (
            records[first_open].offset if first_open < len(records) else records[-1].offset + 1
        )
        self._measure_lag(consumer, tp, position)
        if first_open < len(records) and not self._stopping:
            # Events after it that were handled already come again and the inbox skips them.
            consumer.seek(tp, records[first_open].offset)
            if first_failure < len(records):
                await self._sleep(1.0)

    async def _start(self) -> None:
        await ensure_topics(
            self.settings.KAFKA_BOOTSTRAP_SERVERS,
            {**{t: _partitions(t) for t in self.spec.topics}, self.dlq: 1},
        )
        consumer = AIOKafkaConsumer(
            *self.spec.topics,
            bootstrap_servers=self.settings.KAFKA_BOOTSTRAP_SERVERS,
            group_id=self.spec.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.KAFKA_FETCH_MAX_WAIT_MS,
            session_timeout_ms=self.settings.KAFKA_SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=max(self.settings.KAFKA_SESSION_TIMEOUT_MS // 3, 100),
            request_timeout_ms=self.settings.KAFKA_REQUEST_TIMEOUT_MS,
        )
        try:
            await asyncio.wait_for(consumer.start(), 30)
        except BaseException:
            await _stop_quietly(consumer)
            raise
        self._consumer = consumer

    async def _commit(self, consumer: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await asyncio.wait_for(consumer.commit({tp: offset}), 10)
        except (CommitFailedError, IllegalStateError) as exc:
            # The partition moved to another member; it resumes from the last commit and
            # the inbox skips what was already handled.
            log.info("commit of %s@%d skipped after rebalance: %s", tp, offset, exc)
        except (KafkaError, TimeoutError) as exc:
            # A later commit covers this one; until then a restart redelivers, harmlessly.
            log.warning("commit of %s@%d failed: %s", tp, offset, exc)

    async def process(self, record: ConsumerRecord[bytes, bytes]) -> None:
        """Handle one record: parse, deduplicate, run the handler, retry, or dead-letter."""
        declared = _header(record, "ce_type")
        if declared is not None and declared not in self.spec.handlers:
            # Another consumer's business, told by the header alone: most events on a
            # topic are not for us, and parsing and tracing each cost more than the skip.
            self._count("skipped")
            return
        carrier = telemetry.kafka_headers_to_carrier(record.headers)
        parent = telemetry.context_from_carrier(carrier)
        with self._tracer.start_as_current_span(
            f"{record.topic} process",
            context=parent,
            kind=trace.SpanKind.CONSUMER,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.consumer.group.name": self.spec.group_id,
                "messaging.kafka.offset": record.offset,
            },
        ) as span:
            try:
                event = CloudEvent.from_bytes(record.value or b"")
            except ValidationError as exc:
                await self._dead_letter(record, f"malformed envelope: {exc}")
                return
            span.set_attribute("messaging.message.id", event.id)
            span.set_attribute("cloudevents.event_type", event.type)
            telemetry.tag_event(event.subject, event.data)
            handler = self.spec.handlers.get(event.type)
            if handler is None:
                return  # another consumer's business: events we do not need are skipped
            await self._handle_with_retries(record, event, handler)

    async def _handle_with_retries(
        self, record: ConsumerRecord[bytes, bytes], event: CloudEvent, handler: Handler
    ) -> None:
        attempts = self.settings.CONSUMER_MAX_RETRIES + 1
        for attempt in range(1, attempts + 1):
            try:
                handled = await self._handle_once(event, handler)
            except (PermanentError, ValidationError) as exc:
                await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                return
            except Exception as exc:
                if _not_the_events_fault(exc):
                    raise  # the partition waits at this event until the database is back
                if attempt == attempts:
                    log.exception("event %s failed %d times", event.id, attempts)
                    await self._dead_letter(record, f"{type(exc).__name__}: {exc}")
                    return
                log.warning("event %s failed (attempt %d): %s", event.id, attempt, exc)
                await self._sleep(self.settings.CONSUMER_RETRY_BACKOFF_S * 2 ** (attempt - 1))
                continue
            if handled:
                self.handled += 1
            else:
                self.duplicates += 1
                log.info("event %s already handled by %s", event.id, self.spec.group_id)
            self._count("handled" if handled else "duplicate")
            return

    async def _handle_once(self, event: CloudEvent, handler: Handler) -> bool:
        async with self.sessionmaker() as session, session.begin():
            fresh = await inbox.record(
                session,
                consumer_group=self.spec.group_id,
                event_id=event.id,
                event_type=event.type,
            )
            if not fresh:
                return False
            await handler(session=session, event=event)
            return True

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], error: str) -> None:
        """Park the event on the group's DLQ with its error and origin, then move on."""
        headers = [
            *list(record.headers or ()),
            ("dlq_error", error[:4000].encode()),
            ("dlq_source_topic", record.topic.encode()),
            ("dlq_source_partition", str(record.partition).encode()),
            ("dlq_source_offset", str(record.offset).encode()),
            ("dlq_consumer_group", self.spec.group_id.encode()),
        ]
        delay = 0.5
        while True:
            try:
                await self.producer.send(self.dlq, record.key or b"", record.value or b"", headers)
                break
            except Exception as exc:  # the offset stays uncommitted until the DLQ has it
                if self._stopping:
                    raise
                log.warning("cannot write to %s yet: %s", self.dlq, exc)
                await self._sleep(delay)
                delay = min(delay * 2, 10)
        self.dead_lettered += 1
        self._count("dead_lettered")
        metrics.dlq_events.add(1, {"group": self.spec.group_id})
        log.error(
            "event at %s/%d@%d sent to %s: %s",
            record.topic,
            record.partition,
            record.offset,
            self.dlq,
            error,
        )

    def _count(self, outcome: str, n: int = 1) -> None:
        metrics.consumer_events.add(n, {"group": self.spec.group_id, "outcome": outcome})

    def _measure_lag(
        self, consumer: AIOKafkaConsumer, tp: TopicPartition, next_offset: int
    ) -> None:
        """Events on the partition past the group's position, as of the last fetch."""
        highwater = consumer.highwater(tp)
        if highwater is not None:
            metrics.consumer_lag.set(
                max(highwater - next_offset, 0),
                group=self.spec.group_id,
                topic=tp.topic,
                partition=str(tp.partition),
            )

    def stop(self) -> None:
        """Take no more work; the current event finishes and its offset is committed."""
        self._stopping = True

    async def close(self) -> None:
        """Leave the group; call after `run()` has returned."""
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            await _stop_quietly(consumer)

    def healthy(self, max_poll_gap_s: float) -> bool:
        """Joined, still running, and polled recently (a consumer can stop polling silently)."""
        if not (self.started and self.running) or self.last_poll is None:
            return False
        return time.monotonic() - self.last_poll <= max_poll_gap_s

    def state(self) -> dict[str, object]:
        age = None if self.last_poll is None else round(time.monotonic() - self.last_poll, 1)
        return {
            "group": self.spec.group_id,
            "started": self.started,
            "running": self.running,
            "seconds_since_poll": age,
            "handled": self.handled,
            "duplicates": self.duplicates,
            "dead_lettered": self.dead_lettered,
        }


def _header(record: ConsumerRecord[bytes, bytes], name: str) -> str | None:
    for key, value in record.headers or ():
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


def _not_the_events_fault(exc: BaseException) -> bool:
    """The database connection failed, not the event: it must not end in the DLQ.

    A database restart or a failover outlasts the few retries an event gets; parking every
    event that meets it would lose them all to the DLQ.
    """
    seen: BaseException | None = exc
    for _ in range(10):  # the chain of causes is short; never loop on a cycle
        if seen is None:
            return False
        if isinstance(seen, sa_exc.DBAPIError) and seen.connection_invalidated:
            return True
        if isinstance(seen, _CONNECTION_ERRORS):
            return True
        orig = getattr(seen, "orig", None)
        seen = orig if isinstance(orig, BaseException) else (seen.__cause__ or seen.__context__)
    return False


_CONNECTION_ERRORS = (
    ConnectionError,
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # the server shut the session down
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a connection left half-way by a lost server
)


def _partitions(topic: str) -> int:
    from kamkor_common.events.topics import PARTITIONS

    return PARTITIONS.get(topic, 1)


async def _stop_quietly(consumer: AIOKafkaConsumer) -> None:
    try:
        await asyncio.wait_for(consumer.stop(), 10)
    except Exception:
        log.warning("consumer did not stop cleanly")
