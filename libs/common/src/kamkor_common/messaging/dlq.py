"""Dead letters: list what a consumer group could not handle, and replay it by command.

A replay publishes each dead letter back to the topic it came from, with its original
key, value and headers. The consumer's inbox lets it through (a failed event left no
inbox row) and skips anything that was handled meanwhile. The replay reader commits
its own offsets (group `dlq-replay.<group>`), so the same letter is not replayed twice.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from kamkor_common.events.topics import dlq_topic
from kamkor_common.messaging.producer import Producer
from kamkor_common.settings import KamkorSettings

DLQ_HEADER_PREFIX = "dlq_"


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    key: str
    event_type: str
    event_id: str
    source_topic: str
    source_offset: str
    error: str


def _headers(record: ConsumerRecord[bytes, bytes]) -> dict[str, str]:
    return {k: v.decode("utf-8", "replace") for k, v in record.headers or () if v is not None}


def describe(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    headers = _headers(record)
    return DeadLetter(
        offset=record.offset,
        key=(record.key or b"").decode("utf-8", "replace"),
        event_type=headers.get("ce_type", "?"),
        event_id=headers.get("ce_id", "?"),
        source_topic=headers.get("dlq_source_topic", "?"),
        source_offset=headers.get("dlq_source_offset", "?"),
        error=headers.get("dlq_error", ""),
    )


async def _read(
    bootstrap: str,
    topic: str,
    *,
    group_id: str | None,
    idle_s: float = 2.0,
) -> tuple[AIOKafkaConsumer, list[ConsumerRecord[bytes, bytes]]]:
    """Read a topic until it has been quiet for `idle_s`; the caller stops the consumer."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
        request_timeout_ms=40000,
    )
    await asyncio.wait_for(consumer.start(), 30)
    if group_id is None:
        partitions = consumer.partitions_for_topic(topic) or {0}
        consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])
        await consumer.seek_to_beginning()
    else:
        consumer.subscribe([topic])
    records: list[ConsumerRecord[bytes, bytes]] = []
    join_deadline = time.monotonic() + 30
    quiet_since: float | None = None
    while True:
        batch = await consumer.getmany(timeout_ms=200)
        for recs in batch.values():
            records.extend(recs)
            quiet_since = time.monotonic()
        if not consumer.assignment():  # still joining the replay group
            if time.monotonic() > join_deadline:
                await asyncio.wait_for(consumer.stop(), 10)
                raise TimeoutError(f"could not join a consumer group for {topic}")
            continue
        quiet_since = quiet_since or time.monotonic()
        if time.monotonic() - quiet_since >= idle_s:
            break
    return consumer, records


async def list_dead_letters(bootstrap: str, group: str) -> list[DeadLetter]:
    """Every dead letter of a consumer group, oldest first."""
    consumer, records = await _read(bootstrap, dlq_topic(group), group_id=None)
    await asyncio.wait_for(consumer.stop(), 10)
    return [describe(r) for r in sorted(records, key=lambda r: (r.partition, r.offset))]


async def replay(settings: KamkorSettings, group: str) -> list[DeadLetter]:
    """Publish the group's not yet replayed dead letters back to their source topics."""
    consumer, records = await _read(
        settings.KAFKA_BOOTSTRAP_SERVERS, dlq_topic(group), group_id=f"dlq-replay.{group}"
    )
    producer = Producer(settings)
    replayed: list[DeadLetter] = []
    try:
        for record in sorted(records, key=lambda r: (r.partition, r.offset)):
            letter = describe(record)
            headers = [
                (k, v) for k, v in record.headers or () if not k.startswith(DLQ_HEADER_PREFIX)
            ]
            headers.append(("dlq_replayed_from", f"{record.topic}@{record.offset}".encode()))
            await producer.send(
                letter.source_topic, record.key or b"", record.value or b"", headers
            )
            await consumer.commit(
                {TopicPartition(record.topic, record.partition): record.offset + 1}
            )
            replayed.append(letter)
    finally:
        await producer.stop()
        await asyncio.wait_for(consumer.stop(), 10)
    return replayed
