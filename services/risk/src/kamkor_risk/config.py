"""Settings of the risk service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class RiskSettings(KamkorSettings):
    SERVICE_NAME: str = "risk"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/risk.db"
    PORT: int = 8002
