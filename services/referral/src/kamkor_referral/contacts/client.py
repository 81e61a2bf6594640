"""The one registry read the referral service makes, at a partner's request (DESIGN §1)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import ValidationError

from kamkor_common.auth import TokenIssuer
from kamkor_common.errors import NotFound, ServiceUnavailable
from kamkor_common.telemetry import instrument_httpx
from kamkor_common.tokens import ClientCredentialsTokens, ServiceTokens, SignedServiceTokens
from kamkor_referral.config import ReferralSettings
from kamkor_referral.contacts.schemas import RegistryHousehold

# Who the registry sees (and audits) reading the household: this service, not the partner,
# whose token the registry would refuse. The `service` role reads one household, no lists
# (decision 11).
SERVICE_SUBJECT = "service:referral"
SERVICE_ROLE = "service"
SERVICE_TOKEN_TTL_S = 60


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "Household not found"


class RegistryUnavailable(ServiceUnavailable):
    code = "registry_unavailable"
    title = "Registry unavailable"


class RegistryClient:
    """Reads one household from the registry with a short-lived token of the service's own."""

    def __init__(self, *, base_url: str, timeout_s: float, tokens: ServiceTokens | None) -> None:
        self._tokens = tokens
        self._http = instrument_httpx(
            httpx.AsyncClient(
                base_url=base_url.rstrip("/"),
                timeout=timeout_s,
                limits=httpx.Limits(keepalive_expiry=2.0),
            )
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get_household(self, household_id: str) -> RegistryHousehold:
        """The registry's record, or HouseholdNotFound / RegistryUnavailable."""
        if self._tokens is None:
            raise RegistryUnavailable("this service has no token of its own for the registry")
        token = await self._tokens.token()
        path = f"/api/v1/registry/households/{quote(household_id, safe='')}"
        try:
            response = await self._http.get(path, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"the registry did not answer: {type(exc).__name__}") from exc
        if response.status_code == 404:
            raise HouseholdNotFound(f"household {household_id} is not in the registry")
        if response.status_code != 200:
            raise RegistryUnavailable(f"the registry answered {response.status_code}")
        try:
            return RegistryHousehold.model_validate_json(response.content)
        except ValidationError as exc:
            raise RegistryUnavailable("the registry answered an unreadable household") from exc


@contextlib.asynccontextmanager
async def registry_client_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Keep one registry client on the app's state while the app runs."""
    settings = app.state.settings
    async with httpx.AsyncClient(timeout=settings.REGISTRY_TIMEOUT_S) as token_http:
        client = RegistryClient(
            base_url=settings.REGISTRY_URL,
            timeout_s=settings.REGISTRY_TIMEOUT_S,
            tokens=service_tokens(settings, app.state.token_issuer, token_http),
        )
        app.state.registry_client = client
        try:
            yield
        finally:
            await client.aclose()


def service_tokens(
    settings: ReferralSettings, issuer: TokenIssuer | None, http: httpx.AsyncClient
) -> ServiceTokens | None:
    """Client credentials when configured, else the embedded issuer's tokens, else none."""
    if settings.SERVICE_TOKEN_URL and settings.SERVICE_CLIENT_ID and settings.SERVICE_CLIENT_SECRET:
        return ClientCredentialsTokens(
            http=http,
            token_url=settings.SERVICE_TOKEN_URL,
            client_id=settings.SERVICE_CLIENT_ID,
            client_secret=settings.SERVICE_CLIENT_SECRET,
        )
    if issuer is None:
        return None
    return SignedServiceTokens(issuer, subject=SERVICE_SUBJECT, ttl_s=SERVICE_TOKEN_TTL_S)


async def get_registry_client(request: Request) -> RegistryClient:
    client: RegistryClient = request.app.state.registry_client
    return client


RegistryClientDep = Annotated[RegistryClient, Depends(get_registry_client)]
