"""Settings of the registry service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class RegistrySettings(KamkorSettings):
    SERVICE_NAME: str = "registry"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/registry.db"
    PORT: int = 8001
