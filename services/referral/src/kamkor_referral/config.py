"""Settings of the referral service."""

from __future__ import annotations

from datetime import timedelta

from kamkor_common.settings import KamkorSettings


class ReferralSettings(KamkorSettings):
    SERVICE_NAME: str = "referral"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/referral.db"
    PORT: int = 8003

    # The registry, read at a partner's request for a family's contact details.
    REGISTRY_URL: str = "http://127.0.0.1:8001"
    REGISTRY_TIMEOUT_S: float = 3.0

    # The flag → needs mapping in force: a file under kamkor_referral/needs/mappings/.
    NEEDS_MAPPING_VERSION: str = "2026.1"

    # How long a partner has to answer a referral, by priority (DESIGN §6).
    RESPONSE_DUE_STAT_HOURS: float = 2
    RESPONSE_DUE_URGENT_HOURS: float = 24
    RESPONSE_DUE_ROUTINE_HOURS: float = 72
    # How often the worker looks for missed deadlines and reminders due, and how many
    # referrals one run handles at most (each run is one transaction).
    DEADLINE_CHECK_S: float = 60
    DEADLINE_BATCH_SIZE: int = 100

    # How long a bed hold asked of a shelter counts as taking one of its free beds while the
    # shelter has not answered. Its next capacity snapshot counts the hold itself; a request
    # older than this was lost or answered in a snapshot already and must not block a bed.
    HOLD_ANSWER_TTL_S: float = 600

    @property
    def hold_answer_ttl(self) -> timedelta:
        """How long an unanswered bed hold request keeps a free bed from other referrals."""
        return timedelta(seconds=self.HOLD_ANSWER_TTL_S)

    def response_due_after(self, priority: str) -> timedelta:
        """The time a partner has to answer a referral of this priority."""
        hours = {
            "stat": self.RESPONSE_DUE_STAT_HOURS,
            "urgent": self.RESPONSE_DUE_URGENT_HOURS,
        }.get(priority, self.RESPONSE_DUE_ROUTINE_HOURS)
        return timedelta(hours=hours)
