"""The risk service: `uvicorn --factory kamkor_risk.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_risk.api import CONSUMERS, ROUTERS
from kamkor_risk.config import RiskSettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    return create_service_app(
        name="risk",
        title="Kamkor risk",
        settings=settings,
        routers=ROUTERS,
        consumers=CONSUMERS,
        migrations=MIGRATIONS,
    )
