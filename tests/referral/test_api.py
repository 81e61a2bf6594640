"""The referral service's wiring: the worker's timers."""

from __future__ import annotations

from typing import Any

from kamkor_referral.api import timers
from kamkor_referral.config import ReferralSettings


class TestTimers:
    async def test_the_running_app_checks_deadlines(self, referral: Any) -> None:
        running = {timer.name: timer for timer in referral.app.state.runtime.timers}
        assert "deadlines" in running
        assert running["deadlines"].interval_s == referral.settings.DEADLINE_CHECK_S == 60
        # One run on the service's database, as the worker runs it: nothing there is due yet.
        async with referral.database.sessionmaker() as session, session.begin():
            await running["deadlines"].run(session)

    def test_the_interval_is_a_setting(self) -> None:
        deadlines = next(
            t for t in timers(ReferralSettings(DEADLINE_CHECK_S=5)) if t.name == "deadlines"
        )
        assert (deadlines.name, deadlines.interval_s) == ("deadlines", 5)
