"""The shelter service: `uvicorn --factory kamkor_shelter.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_shelter.api import ROUTERS, consumers, timers
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.shelters.seed import seed

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: ShelterSettings | None = None) -> FastAPI:
    settings = settings or ShelterSettings()
    return create_service_app(
        name="shelter",
        title="Kamkor shelter",
        settings=settings,
        routers=ROUTERS,
        consumers=consumers(settings),
        timers=timers(settings),
        migrations=MIGRATIONS,
        seed=seed,
    )
