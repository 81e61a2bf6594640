"""The token a Kamkor service sends when it calls another (decision 11, decision 17).

Outside prod the service signs a short-lived `service` token with the embedded issuer's
key; in prod it gets one from the gateway's client-credentials grant with the client id
and secret an admin created for it (`kamkor clients create --role service`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import httpx

from kamkor_common.auth import TokenIssuer
from kamkor_common.errors import ServiceUnavailable

# A cached token is replaced this long before it expires, so none expires in flight.
RENEW_BEFORE_S = 30


class ServiceTokenUnavailable(ServiceUnavailable):
    code = "service_token_unavailable"
    title = "This service could not get a token of its own"


class ServiceTokens(Protocol):
    async def token(self) -> str: ...


class SignedServiceTokens:
    """Tokens signed here, by the embedded issuer (dev and tests)."""

    def __init__(self, issuer: TokenIssuer, *, subject: str, ttl_s: int = 60) -> None:
        self._issuer, self._subject, self._ttl_s = issuer, subject, ttl_s

    async def token(self) -> str:
        return self._issuer.issue(subject=self._subject, role="service", ttl_s=self._ttl_s)


class ClientCredentialsTokens:
    """Tokens of the client-credentials grant, cached until shortly before they expire."""

    def __init__(
        self, *, http: httpx.AsyncClient, token_url: str, client_id: str, client_secret: str
    ) -> None:
        self._http, self._url = http, token_url
        self._auth = (client_id, client_secret)
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime_s = await self._fetch()
                self._renew_at = time.monotonic() + max(lifetime_s - RENEW_BEFORE_S, 0)
            return self._token

    async def _fetch(self) -> tuple[str, int]:
        try:
            response = await self._http.post(
                self._url, data={"grant_type": "client_credentials"}, auth=self._auth
            )
        except httpx.HTTPError as exc:
            raise ServiceTokenUnavailable(f"the token endpoint did not answer: {exc}") from exc
        if response.status_code != 200:
            raise ServiceTokenUnavailable(f"the token endpoint answered {response.status_code}")
        try:
            body = response.json()
            return str(body["access_token"]), int(body["expires_in"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ServiceTokenUnavailable("the token endpoint answered no token") from exc
