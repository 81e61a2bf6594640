"""Cases 2 and 3: a service killed with SIGKILL mid-stream, then started again.

Killing the referral service leaves flags unconsumed and offsets uncommitted; killing the
risk service while it publishes may leave events on Kafka whose outbox rows are still
unsent, so they go out again after the restart and the consumers' inboxes skip them.
"""

from __future__ import annotations

import asyncio
from collections import Counter

from kamkor_common.events.topics import RISK_FLAGS
from kamkor_common.messaging.testing import read_topic
from kamkor_common.testing import wait_until
from tests.reliability.conftest import Reliability


class TestReferralServiceCrash:
    async def test_killed_consumer_loses_and_doubles_nothing(self, rel: Reliability) -> None:
        families = await rel.register(30)
        stream = asyncio.create_task(rel.stream(families, interval_s=0.3))
        await wait_until(lambda: rel.answered(families) >= 8, timeout_s=60)
        await asyncio.to_thread(rel.platform.kill, "referral")
        # Screening goes on without the referral service; its flags wait on Kafka.
        await wait_until(lambda: rel.answered(families) >= 20, timeout_s=60)
        await asyncio.to_thread(rel.platform.restart, "referral")
        await asyncio.wait_for(stream, 120)
        took = await rel.settle(families, timeout_s=120)
        print(f"\nsettled {took:.1f} s after the stream")
        await rel.check(families)


class TestRiskServiceCrash:
    async def test_killed_relay_republishes_and_consumers_skip_the_copies(
        self, rel: Reliability
    ) -> None:
        families = await rel.register(40)
        # A burst: many screenings at once keep the relay publishing when the kill comes.
        stream = asyncio.create_task(rel.stream(families, interval_s=0.02, concurrency=8))
        await wait_until(lambda: rel.answered(families) >= 12, timeout_s=60)
        await asyncio.to_thread(rel.platform.kill, "risk")
        await asyncio.to_thread(rel.platform.restart, "risk")
        await asyncio.wait_for(stream, 180)
        took = await rel.settle(families, timeout_s=120)
        retried = sum(1 for f in families if f.attempts > 1)
        records = await read_topic(
            rel.platform.bootstrap, RISK_FLAGS, min_records=10**9, timeout_s=3
        )
        ids = Counter(dict(r.headers).get("ce_id") for r in records)
        copies = sum(n - 1 for n in ids.values() if n > 1)
        print(
            f"\n{retried} screenings retried; {copies} events published twice; "
            f"settled {took:.1f} s after the stream"
        )
        await rel.check(families)
