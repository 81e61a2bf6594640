"""Settings of the referral service."""

from __future__ import annotations

from datetime import timedelta

from pydantic import model_validator

from kamkor_common.settings import KamkorSettings

DEV_WEBHOOK_SECRETS_KEY = "kamkor-dev-webhook-secrets-key-change-me"


class ReferralSettings(KamkorSettings):
    SERVICE_NAME: str = "referral"
    DATABASE_URL: str = "sqlite+aiosqlite:///var/referral.db"
    PORT: int = 8003

    # The registry, read at a partner's request for a family's contact details.
    REGISTRY_URL: str = "http://127.0.0.1:8001"
    REGISTRY_TIMEOUT_S: float = 3.0
    # The token of this service's registry reads in prod: the gateway's client-credentials
    # grant with a `service` client (decision 17). Outside prod, the embedded issuer's.
    SERVICE_TOKEN_URL: str | None = None
    SERVICE_CLIENT_ID: str | None = None
    SERVICE_CLIENT_SECRET: str | None = None

    # The flag → needs mapping in force: a file under kamkor_referral/needs/mappings/.
    NEEDS_MAPPING_VERSION: str = "2026.1"

    # How long a partner has to answer a referral, by priority (DESIGN §6).
    RESPONSE_DUE_STAT_HOURS: float = 2
    RESPONSE_DUE_URGENT_HOURS: float = 24
    RESPONSE_DUE_ROUTINE_HOURS: float = 72
    # How often the worker looks for missed deadlines and reminders due, and how many
    # referrals one run handles at most (each run is one transaction).
    DEADLINE_CHECK_S: float = 60
    DEADLINE_BATCH_SIZE: int = 100

    # How long a bed hold asked of a shelter counts as taking one of its free beds while the
    # shelter has not answered. Its next capacity snapshot counts the hold itself; a request
    # older than this was lost or answered in a snapshot already and must not block a bed.
    HOLD_ANSWER_TTL_S: float = 600

    # Partner webhooks (docs/partner-api.md): endpoint secrets are encrypted with this key.
    WEBHOOK_SECRETS_KEY: str = DEV_WEBHOOK_SECRETS_KEY
    # How long a rotated-out secret keeps signing alongside the new one.
    WEBHOOK_SECRET_OVERLAP_HOURS: float = 24
    # Seconds to wait before each attempt: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, then
    # 10 h six times; about 2.8 days from the first attempt to the last.
    WEBHOOK_RETRY_SCHEDULE_S: list[float] = [0, 5, 300, 1800, 7200, 18000, *[36000] * 6]
    WEBHOOK_TIMEOUT_S: float = 10
    # How often the worker looks for due deliveries, how many it takes per batch, how many
    # it posts at once, and how long a taken delivery is kept from other workers.
    WEBHOOK_POLL_INTERVAL_S: float = 1
    WEBHOOK_BATCH_SIZE: int = 50
    WEBHOOK_CONCURRENCY: int = 16
    WEBHOOK_CLAIM_S: float = 60
    WEBHOOK_MAX_ENDPOINTS_PER_ORGANIZATION: int = 10
    # Finished deliveries (delivered, failed, cancelled) and their attempts are kept this long.
    WEBHOOK_RETENTION_DAYS: float = 30

    @model_validator(mode="after")
    def _webhook_settings(self) -> ReferralSettings:
        if self.ENVIRONMENT == "prod" and self.WEBHOOK_SECRETS_KEY == DEV_WEBHOOK_SECRETS_KEY:
            raise ValueError("KAMKOR_WEBHOOK_SECRETS_KEY must be set outside dev and test")
        if not self.WEBHOOK_RETRY_SCHEDULE_S or min(self.WEBHOOK_RETRY_SCHEDULE_S) < 0:
            raise ValueError("KAMKOR_WEBHOOK_RETRY_SCHEDULE_S needs one or more delays >= 0")
        if self.WEBHOOK_CLAIM_S <= self.WEBHOOK_TIMEOUT_S:
            raise ValueError("KAMKOR_WEBHOOK_CLAIM_S must exceed KAMKOR_WEBHOOK_TIMEOUT_S")
        return self

    @property
    def webhook_secret_overlap(self) -> timedelta:
        """How long a rotated-out endpoint secret still signs deliveries."""
        return timedelta(hours=self.WEBHOOK_SECRET_OVERLAP_HOURS)

    @property
    def hold_answer_ttl(self) -> timedelta:
        """How long an unanswered bed hold request keeps a free bed from other referrals."""
        return timedelta(seconds=self.HOLD_ANSWER_TTL_S)

    def response_due_after(self, priority: str) -> timedelta:
        """The time a partner has to answer a referral of this priority."""
        hours = {
            "stat": self.RESPONSE_DUE_STAT_HOURS,
            "urgent": self.RESPONSE_DUE_URGENT_HOURS,
        }.get(priority, self.RESPONSE_DUE_ROUTINE_HOURS)
        return timedelta(hours=hours)
