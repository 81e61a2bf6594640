"""Settings of the gateway."""

from __future__ import annotations

from urllib.parse import urlsplit

from limits import RateLimitItem, parse_many
from pydantic import field_validator

from kamkor_common.auth import ROLES
from kamkor_common.inputs import MAX_HEADER_BYTES
from kamkor_common.settings import KamkorSettings


def parse_limits(text: str) -> list[RateLimitItem]:
    """The limits of one setting; a typo fails at start-up, not at the first request."""
    try:
        items = parse_many(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a rate limit like 600/minute") from exc
    return items


class GatewaySettings(KamkorSettings):
    SERVICE_NAME: str = "gateway"
    PORT: int = 8000
    # The gateway's own database: API clients (partner systems' credentials).
    DATABASE_URL: str = "sqlite+aiosqlite:///var/gateway.db"
    # Lifetime of a token of the client-credentials grant: short, a client asks again.
    CLIENT_TOKEN_TTL_S: int = 600
    # The name the gateway signs those tokens with (`iss`); the embedded issuer's,
    # `JWT_ISSUER`, unless set. In prod, where `JWT_ISSUER` is the ministry's identity
    # provider, the services trust this one through `JWT_EXTRA_ISSUERS`.
    CLIENT_TOKEN_ISSUER: str | None = None

    REGISTRY_URL: str = "http://127.0.0.1:8001"
    RISK_URL: str = "http://127.0.0.1:8002"
    REFERRAL_URL: str = "http://127.0.0.1:8003"
    SHELTER_URL: str = "http://127.0.0.1:8004"

    UPSTREAM_TIMEOUT_S: float = 10.0
    # An idle pooled connection is dropped after this long. It must be shorter than the
    # services' keep-alive timeout (uvicorn's `--timeout-keep-alive`, 5 s by default), or
    # the gateway would send requests on connections the service is just closing.
    UPSTREAM_KEEPALIVE_EXPIRY_S: float = 2.0
    UPSTREAM_MAX_CONNECTIONS: int = 100
    # Probes run often and must answer before the kubelet gives up on them.
    READINESS_TIMEOUT_S: float = 3.0
    # A service whose OpenAPI document could not be fetched is asked again after this long.
    OPENAPI_RETRY_S: float = 10.0
    # Larger request bodies are refused before they reach a service (or fill the memory).
    MAX_BODY_BYTES: int = 10 * 1024 * 1024
    # Larger request headers (all together) are refused with 431 at the front door.
    MAX_HEADER_BYTES: int = MAX_HEADER_BYTES

    # Requests per client, in the `limits` notation ("600/minute"; "10/second;600/minute").
    # A client is a token's holder (partners: holder and organisation), else an address.
    RATE_LIMIT_ENABLED: bool = True
    RATE_LIMIT_ANONYMOUS: str = "60/minute"
    RATE_LIMIT_PARTNER: str = "600/minute"
    RATE_LIMIT_STAFF: str = "1200/minute"
    # One role's own limit instead of its class's, e.g. {"analyst": "120/minute"}.
    RATE_LIMIT_ROLES: dict[str, str] = {}
    # Counts shared by every gateway replica; without it each process counts alone.
    REDIS_URL: str | None = None
    # A limit store slower than this is skipped: the request goes through uncounted.
    RATE_LIMIT_STORAGE_TIMEOUT_S: float = 0.5

    # Browser origins allowed to call the API (`https://app.kamkor.kg`); none by default.
    CORS_ORIGINS: list[str] = []
    # Callers reach the gateway over HTTPS only (TLS ends in front of it): send HSTS.
    HTTPS: bool = False
    HSTS_MAX_AGE_S: int = 365 * 24 * 3600

    @field_validator("RATE_LIMIT_ANONYMOUS", "RATE_LIMIT_PARTNER", "RATE_LIMIT_STAFF")
    @classmethod
    def _limit(cls, value: str) -> str:
        parse_limits(value)
        return value

    @field_validator("RATE_LIMIT_ROLES")
    @classmethod
    def _role_limits(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; roles are {', '.join(ROLES)}")
        for limit in value.values():
            parse_limits(limit)
        return value

    @field_validator("CORS_ORIGINS")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            # An origin is exactly scheme://host[:port]; a wildcard would let any site in.
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("http", "https")
                or not parts.netloc
                or "*" in origin
                or origin != f"{parts.scheme}://{parts.netloc}"
            ):
                raise ValueError(f"{origin!r} is not an origin like https://app.kamkor.kg")
        return value

    def upstream_urls(self) -> dict[str, str]:
        """The base URL of every service behind the gateway, by service name."""
        return {
            "registry": self.REGISTRY_URL,
            "risk": self.RISK_URL,
            "referral": self.REFERRAL_URL,
            "shelter": self.SHELTER_URL,
        }
