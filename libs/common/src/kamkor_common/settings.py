"""The settings every Kamkor process shares; each service subclasses them."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "kamkor-dev-secret-change-me-0123456789abcdef"


def normalise_database_url(url: str) -> str:
    """Turn a plain `postgresql://` or `sqlite://` URL into its async driver form."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


class KamkorSettings(BaseSettings):
    """One process, one service: every variable is read with the `KAMKOR_` prefix."""

    model_config = SettingsConfigDict(env_prefix="KAMKOR_", extra="ignore")

    ENVIRONMENT: Literal["dev", "test", "prod"] = "dev"
    SERVICE_NAME: str = "kamkor"
    ROLE: Literal["api", "worker", "all"] = "all"
    LOG_LEVEL: str = "INFO"
    # JSON lines with trace and span ids for the log pipeline; `text` for a terminal.
    LOG_FORMAT: Literal["json", "text"] = "json"

    DATABASE_URL: str = "sqlite+aiosqlite:///var/kamkor.db"
    # Connections per process on PostgreSQL: the pool, and how many more under a burst.
    DATABASE_POOL_SIZE: int = 10
    DATABASE_MAX_OVERFLOW: int = 10
    MIGRATE_ON_START: bool = True
    SEED_REFERENCE_DATA: bool = False

    KAFKA_BOOTSTRAP_SERVERS: str = "127.0.0.1:9092"
    KAFKA_ENABLE_IDEMPOTENCE: bool = False
    KAFKA_FETCH_MAX_WAIT_MS: int = 20
    KAFKA_SESSION_TIMEOUT_MS: int = 6000
    KAFKA_REQUEST_TIMEOUT_MS: int = 40000
    KAFKA_SEND_TIMEOUT_S: float = 10.0
    CONSUMER_BATCH_SIZE: int = 500
    CONSUMER_CONCURRENCY: int = 16
    CONSUMER_MAX_RETRIES: int = 3
    CONSUMER_RETRY_BACKOFF_S: float = 0.2
    OUTBOX_POLL_INTERVAL_S: float = 1.0
    OUTBOX_BATCH_SIZE: int = 100
    OUTBOX_RETENTION_DAYS: float = 7
    INBOX_RETENTION_DAYS: float = 30
    IDEMPOTENCY_RETENTION_HOURS: float = 24
    # How long a claimed key waits for its request before a retry may take it over.
    IDEMPOTENCY_LEASE_S: float = 30

    # Where traces and metrics go over OTLP/HTTP; the standard OTEL_* variables win.
    OTLP_ENDPOINT: str | None = None
    # How often workers refresh the gauges that need a query (outbox backlog, referrals).
    METRICS_INTERVAL_S: float = 15.0

    JWT_SECRET: str = DEV_JWT_SECRET
    JWT_ISSUER: str = "https://auth.kamkor.local/dev"
    JWT_AUDIENCE: str = "kamkor"

    @model_validator(mode="after")
    def _normalise(self) -> KamkorSettings:
        self.DATABASE_URL = normalise_database_url(self.DATABASE_URL)
        if self.ENVIRONMENT == "prod" and self.JWT_SECRET == DEV_JWT_SECRET:
            raise ValueError("KAMKOR_JWT_SECRET must be set outside dev and test")
        return self
