"""Settings of the referral service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class ReferralSettings(KamkorSettings):
    SERVICE_NAME: str = "referral"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/referral.db"
    PORT: int = 8003
