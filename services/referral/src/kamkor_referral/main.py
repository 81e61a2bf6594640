"""The referral service: `uvicorn --factory kamkor_referral.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_referral.api import ROUTERS, consumers, timers
from kamkor_referral.config import ReferralSettings
from kamkor_referral.seed import seed

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ReferralSettings | None = None) -> FastAPI:
    """The referral service app: its API, its consumers, its timers and its seeded directory."""
    settings = settings or ReferralSettings()
    return create_service_app(
        name="referral",
        title="Kamkor referral",
        settings=settings,
        routers=ROUTERS,
        consumers=consumers(settings),
        timers=timers(settings),
        migrations=MIGRATIONS,
        seed=seed,
    )
