"""Settings of the risk service."""

from __future__ import annotations

from kamkor_common.settings import KamkorSettings


class RiskSettings(KamkorSettings):
    SERVICE_NAME: str = "risk"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/risk.db"
    PORT: int = 8002

    # The rule set a new database starts with. After that the active version lives in the
    # database (`rule_set_state`) and changes only by `POST .../rule-sets/{v}/activate`.
    RULE_SET_VERSION: str = "2026.1"
    # A folder of further rule-set files (`<version>.json`) loaded beside the shipped ones,
    # e.g. a candidate under review. Every file must pass the same checks or the process stops.
    RULE_SET_DIR: str | None = None
    # Back-test: screenings re-scored per database round trip, and the most per request.
    BACKTEST_BATCH_SIZE: int = 500
    BACKTEST_MAX_SCREENINGS: int = 200_000

    # Household facts are read from the registry only when its event has not arrived yet.
    REGISTRY_URL: str = "http://127.0.0.1:8001"
    REGISTRY_TIMEOUT_S: float = 3.0
