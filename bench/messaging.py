"""Outbox → broker → consumer: latency from commit to handler, and throughput.

Real parts: PostgreSQL on 127.0.0.1:5432 (a throw-away database) and the embedded broker.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bench.report import percentile
from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.messaging import outbox
from kamkor_common.messaging.broker import running_broker
from kamkor_common.messaging.consumer import ConsumerSpec, EventConsumer
from kamkor_common.messaging.outbox import OutboxRelay
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import (
    create_database,
    create_messaging_tables,
    database_url,
    drop_database,
    wait_until,
)

TOPIC = "bench.messaging.v1"
EVENT_TYPE = "kamkor.bench.tick.v1"


class Tick(BaseModel):
    n: int
    committed_at: float


async def _measure(
    database: Database,
    bootstrap: str,
    *,
    count: int,
    spaced_s: float,
) -> dict[str, float]:
    latencies: list[float] = []
    done = asyncio.Event()

    async def handle(*, session: AsyncSession, event: CloudEvent) -> None:
        latencies.append(time.perf_counter() - Tick.model_validate(event.data).committed_at)
        if len(latencies) == count:
            done.set()

    settings = KamkorSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap)
    producer = Producer(settings)
    relay = OutboxRelay(sessionmaker=database.sessionmaker, producer=producer)
    group = f"bench-{time.time_ns()}"
    consumer = EventConsumer(
        spec=ConsumerSpec(group, [TOPIC], {EVENT_TYPE: handle}),
        settings=settings,
        sessionmaker=database.sessionmaker,
        producer=producer,
    )
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    await wait_until(lambda: consumer.started, timeout_s=60)
    started = time.perf_counter()
    for n in range(count):
        async with database.sessionmaker() as session, session.begin():
            tick = Tick(n=n, committed_at=time.perf_counter())
            outbox.add_event(
                session,
                TOPIC,
                new_event(
                    source="/kamkor/bench", type=EVENT_TYPE, key=f"household-{n % 16}", data=tick
                ),
            )
        if spaced_s:
            await asyncio.sleep(spaced_s)
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - started
    relay.stop()
    consumer.stop()
    await asyncio.gather(*tasks)
    await consumer.close()
    await producer.stop()
    ms = [v * 1000 for v in latencies]
    return {
        "events": count,
        "latency_ms_p50": round(statistics.median(ms), 1),
        "latency_ms_p95": round(percentile(ms, 0.95), 1),
        "latency_ms_max": round(max(ms), 1),
        "events_per_s": round(count / elapsed, 1),
    }


async def run() -> dict[str, dict[str, float]]:
    name = await create_database("bench")
    database = Database(database_url(name))
    try:
        await create_messaging_tables(database)
        async with running_broker() as broker:
            await ensure_topics(broker.bootstrap, {TOPIC: 4})
            results = {
                "one_at_a_time": await _measure(
                    database, broker.bootstrap, count=200, spaced_s=0.02
                ),
                "burst": await _measure(database, broker.bootstrap, count=2000, spaced_s=0),
            }
    finally:
        await database.dispose()
        await drop_database(name)
    return results
