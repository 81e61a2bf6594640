"""Case 1: the broker unreachable for 20 s during a stream of screenings.

The broker cannot be restarted (it keeps everything in memory), so the network to it is
cut by a TCP proxy that the broker advertises and every process bootstraps from.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from kamkor_common.testing import wait_until
from tests.reliability.conftest import Reliability

CUT_S = 20


async def _risk_ready(rel: Reliability) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{rel.platform.url('risk')}/readyz")
    return dict(response.json())


class TestBrokerOutage:
    async def test_screenings_accepted_while_cut_and_delivered_once_after(
        self, rel: Reliability
    ) -> None:
        families = await rel.register(36)
        stream = asyncio.create_task(rel.stream(families, interval_s=0.6))
        await wait_until(lambda: rel.answered(families) >= 6, timeout_s=60)

        await rel.proxy.cut()
        cut_at = time.monotonic()
        backlog: dict[str, Any] = {}

        async def backlog_reported() -> bool:
            backlog.update(await _risk_ready(rel))
            return int(backlog.get("outbox_backlog", 0)) > 0

        # The API keeps answering: screenings land in the outbox, and readiness says so.
        await wait_until(backlog_reported, timeout_s=CUT_S - 2, interval_s=0.3)
        await asyncio.sleep(max(0.0, CUT_S - (time.monotonic() - cut_at)))
        await rel.proxy.heal()
        healed_at = time.monotonic()
        during_cut = [f for f in families if f.answered_at and cut_at <= f.answered_at <= healed_at]
        assert len(during_cut) >= 10, f"only {len(during_cut)} screenings answered during the cut"

        await asyncio.wait_for(stream, 120)
        took = await rel.settle(families, timeout_s=180)
        print(
            f"\nanswered during the cut: {len(during_cut)}; backlog seen {backlog}; "
            f"settled {took:.1f} s after the stream"
        )
        await rel.check(families)
