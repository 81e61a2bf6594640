"""The service runtime: timers run in transactions and stop with the service."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.service import ServiceRuntime, Timer
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import wait_until


class TestTimers:
    async def test_a_timer_runs_until_the_service_stops_even_without_a_broker(
        self, tmp_path: Path
    ) -> None:
        runs: list[int] = []

        async def tick(session: AsyncSession) -> None:
            runs.append(int(await session.scalar(text("SELECT 1")) or 0))

        async def failing(session: AsyncSession) -> None:
            raise RuntimeError("one bad run")

        settings = KamkorSettings(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/timers.db",
            KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",  # nothing listens: workers keep retrying
        )
        runtime = ServiceRuntime(
            name="test",
            settings=settings,
            timers=[Timer("tick", 0.05, tick), Timer("failing", 0.05, failing)],
        )
        await runtime.start_workers()

        async def ticked_three_times() -> bool:
            return len(runs) >= 3

        await wait_until(ticked_three_times, timeout_s=10)
        await asyncio.wait_for(runtime.stop(), 5)  # the broker retry loop must not hold it
        count = len(runs)
        await asyncio.sleep(0.2)
        assert runs[:3] == [1, 1, 1]
        assert len(runs) == count
        assert not runtime.topics_ready
