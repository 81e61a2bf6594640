"""The settings every Kamkor process shares; each service subclasses them."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # Tokens: the trusted issuer (the ministry's identity provider in production, the
    # embedded issuer in dev) and its JWKS; without a JWKS URL (dev and tests only) the
    # embedded issuer's own key. More issuers map their name to their JWKS URL.
    JWT_ISSUER: str = "https://auth.kamkor.local/dev"
    JWT_AUDIENCE: str = "kamkor"
    JWT_JWKS_URL: str | None = None
    JWT_EXTRA_ISSUERS: dict[str, str] = {}
    JWT_ALGORITHMS: list[str] = ["ES256", "RS256"]
    # A JWKS is fetched again for an unknown key id at most this often.
    JWT_JWKS_COOLDOWN_S: float = 30
    # The embedded issuer's EC P-256 key: PEM text, else this file (created outside prod).
    JWT_SIGNING_KEY: str | None = None
    JWT_SIGNING_KEY_FILE: str = "var/dev-issuer-es256.pem"

    @model_validator(mode="after")
    def _normalise(self) -> KamkorSettings:
        self.DATABASE_URL = normalise_database_url(self.DATABASE_URL)
        if self.ENVIRONMENT == "prod" and not self.JWT_JWKS_URL:
            raise ValueError("KAMKOR_JWT_JWKS_URL must be set outside dev and test")
        unsafe = {a for a in self.JWT_ALGORITHMS if not a.startswith(("ES", "RS", "PS"))}
        if unsafe or not self.JWT_ALGORITHMS:
            raise ValueError(f"KAMKOR_JWT_ALGORITHMS: asymmetric only, not {sorted(unsafe)}")
        return self
