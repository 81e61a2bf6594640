"""The registry service: `uvicorn --factory kamkor_registry.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_registry.api import CONSUMERS, ROUTERS, TIMERS
from kamkor_registry.config import RegistrySettings

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    settings = settings or RegistrySettings()
    return create_service_app(
        name="registry",
        title="Kamkor registry",
        settings=settings,
        routers=ROUTERS,
        consumers=CONSUMERS,
        timers=TIMERS,
        migrations=MIGRATIONS,
    )
