"""Helpers for tests that talk to a real broker."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer, ConsumerRecord


async def read_topic(
    bootstrap: str, topic: str, *, min_records: int = 1, timeout_s: float = 20
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read a topic from the beginning until `min_records` arrived or the time is up."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{uuid.uuid4()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=20,
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
        request_timeout_ms=40000,
    )
    await asyncio.wait_for(consumer.start(), 30)
    records: list[ConsumerRecord[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(records) < min_records and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await asyncio.wait_for(consumer.stop(), 10)
    return records
