"""Case 7: the shelter service frozen (SIGSTOP) while bed holds are requested.

Its connections stay open but nothing answers; its consumer is dropped from the group.
Referrals keep being opened and ask for beds; when the shelter runs again every hold is
placed, once.
"""

from __future__ import annotations

import asyncio
import time

from kamkor_common.testing import wait_until
from tests.reliability.conftest import Reliability

FROZEN_S = 15


class TestShelterOutage:
    async def test_holds_requested_meanwhile_are_placed_once(self, rel: Reliability) -> None:
        families = await rel.register(16, kinds=("housing",))
        stream = asyncio.create_task(rel.stream(families, interval_s=0.3))
        await wait_until(lambda: rel.answered(families) >= 4, timeout_s=60)
        await asyncio.to_thread(rel.platform.pause, "shelter")
        frozen_at = time.monotonic()
        try:
            await asyncio.wait_for(stream, 120)

            async def waiting_for_beds() -> bool:
                rows = await rel.referrals(families)
                shelter = [r for r in rows if r["service_type"] == "temporary_shelter"]
                return len(shelter) == len(families) and any(
                    r["hold_status"] == "requested" for r in shelter
                )

            # The referrals are there and ask for beds nobody answers yet.
            await wait_until(waiting_for_beds, timeout_s=60, interval_s=0.3)
            await asyncio.sleep(max(0.0, FROZEN_S - (time.monotonic() - frozen_at)))
        finally:
            await asyncio.to_thread(rel.platform.resume, "shelter")
        took = await rel.settle(families, timeout_s=120)
        print(f"\nholds placed {took:.1f} s after the shelter ran again")
        await rel.check(families)
