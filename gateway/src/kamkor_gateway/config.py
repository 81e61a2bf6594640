"""Settings of the gateway."""

from __future__ import annotations

from kamkor_common.inputs import MAX_HEADER_BYTES
from kamkor_common.settings import KamkorSettings


class GatewaySettings(KamkorSettings):
    SERVICE_NAME: str = "gateway"
    PORT: int = 8000

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

    def upstream_urls(self) -> dict[str, str]:
        """The base URL of every service behind the gateway, by service name."""
        return {
            "registry": self.REGISTRY_URL,
            "risk": self.RISK_URL,
            "referral": self.REFERRAL_URL,
            "shelter": self.SHELTER_URL,
        }
