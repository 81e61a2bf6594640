"""The referral service: `uvicorn --factory kamkor_referral.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_referral.api import CONSUMERS, ROUTERS
from kamkor_referral.config import ReferralSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ReferralSettings | None = None) -> FastAPI:
    settings = settings or ReferralSettings()
    return create_service_app(
        name="referral",
        title="Kamkor referral",
        settings=settings,
        routers=ROUTERS,
        consumers=CONSUMERS,
        migrations=MIGRATIONS,
    )
