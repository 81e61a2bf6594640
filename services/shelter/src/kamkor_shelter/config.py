"""Settings of the shelter service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class ShelterSettings(KamkorSettings):
    SERVICE_NAME: str = "shelter"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/shelter.db"
    PORT: int = 8004
