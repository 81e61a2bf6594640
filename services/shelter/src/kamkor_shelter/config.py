"""Settings of the shelter service."""

from __future__ import annotations

from pydantic import Field

from kamkor_common.settings import KamkorSettings


class ShelterSettings(KamkorSettings):
    SERVICE_NAME: str = "shelter"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/shelter.db"
    PORT: int = 8004
    # How long a bed stays held for a referral before the family must arrive (DESIGN §7).
    HOLD_TTL_HOURS: float = Field(default=24, gt=0)
    # How often the worker looks for holds whose time is up.
    HOLD_EXPIRY_CHECK_S: float = Field(default=60, gt=0)
    # A shelter whose staff have not changed or confirmed its beds (counts, arrivals,
    # departures) for this long is marked stale, in its API and its capacity snapshot.
    STALE_AFTER_HOURS: float = Field(default=12, gt=0)
    # How often the worker looks for shelters that have just gone stale.
    STALE_CHECK_S: float = Field(default=300, gt=0)
