"""Settings of the risk service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class RiskSettings(KamkorSettings):
    SERVICE_NAME: str = "risk"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/risk.db"
    PORT: int = 8002

    # The one rule set that scores new screenings: a file in kamkor_risk/rules/rulesets/.
    RULE_SET_VERSION: str = "2026.1"

    # Household facts are read from the registry only when its event has not arrived yet.
    REGISTRY_URL: str = "http://127.0.0.1:8001"
    REGISTRY_TIMEOUT_S: float = 3.0
