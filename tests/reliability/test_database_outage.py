"""Case 6: PostgreSQL connections of every service terminated again and again mid-stream.

The client retries each failed screening under the same Idempotency-Key, as a social
worker's phone would: every screening ends stored once, and every referral is there.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import asyncpg

from kamkor_common.testing import admin_url, wait_until
from kamkor_gateway.devrun import SERVICES
from tests.reliability.conftest import Reliability


async def _terminate(databases: list[str]) -> int:
    connection = await asyncpg.connect(admin_url())
    try:
        rows = await connection.fetch(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity "
            "WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()",
            databases,
        )
    finally:
        await connection.close()
    return sum(1 for r in rows if r["done"])


OUTAGE_S = 20


class TestDatabaseConnectionsTerminated:
    async def test_retried_screenings_stored_once_with_all_referrals(
        self, rel: Reliability
    ) -> None:
        families = await rel.register(30)
        databases = [rel.database_name(s) for s in SERVICES]
        parked_before = await rel.consumer_total("dead_lettered")
        stream = asyncio.create_task(rel.stream(families, interval_s=0.25))
        await wait_until(lambda: rel.answered(families) >= 3, timeout_s=60)
        terminated = 0
        # For at most OUTAGE_S: each terminated claim costs its request the idempotency lease.
        until = time.monotonic() + OUTAGE_S
        while not stream.done() and time.monotonic() < until:
            terminated += await _terminate(databases)
            await asyncio.sleep(0.1)  # often enough to hit transactions in flight
        await stream
        took = await rel.settle(families, timeout_s=120)
        retried = sum(1 for f in families if f.attempts > 1)
        failures = Counter(failure[:40] for f in families for failure in f.failures)
        print(
            f"\n{terminated} connections terminated, {retried} screenings retried "
            f"({dict(failures)}); settled {took:.1f} s after the stream"
        )
        assert terminated > 0
        # A lost connection is not the event's fault: no event was parked in a DLQ.
        assert await rel.consumer_total("dead_lettered") == parked_before
        await rel.check(families)
