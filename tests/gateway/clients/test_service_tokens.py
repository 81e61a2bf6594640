"""A Kamkor service's own token from the client-credentials grant (prod, decision 17)."""

from __future__ import annotations

import httpx
import pytest

from kamkor_common.auth import verifier_from_settings
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import dev_token
from kamkor_common.tokens import ClientCredentialsTokens, ServiceTokenUnavailable

ADMIN = {"Authorization": f"Bearer {dev_token('admin')}"}


class TestClientCredentialsTokens:
    async def test_a_service_token_cached_between_calls(self, clients_gateway):
        created = await clients_gateway.post(
            "/api/v1/clients", json={"name": "referral service", "role": "service"}, headers=ADMIN
        )
        assert created.status_code == 201, created.text
        client = created.json()
        assert client["organization_id"] is None
        tokens = ClientCredentialsTokens(
            http=clients_gateway,
            token_url="/oauth/token",
            client_id=client["id"],
            client_secret=client["client_secret"],
        )
        first = await tokens.token()
        assert await tokens.token() == first
        principal = verifier_from_settings(KamkorSettings()).verify(first)
        assert (principal.subject, principal.role) == (client["id"], "service")

    async def test_a_refused_secret_is_503_for_the_caller(self, clients_gateway):
        tokens = ClientCredentialsTokens(
            http=clients_gateway, token_url="/oauth/token", client_id="x", client_secret="y"
        )
        with pytest.raises(ServiceTokenUnavailable):
            await tokens.token()

    async def test_an_unreachable_endpoint_is_503(self):
        async with httpx.AsyncClient() as http:
            tokens = ClientCredentialsTokens(
                http=http,
                token_url="http://127.0.0.1:9/oauth/token",
                client_id="x",
                client_secret="y",
            )
            with pytest.raises(ServiceTokenUnavailable):
                await tokens.token()

    async def test_a_service_client_names_no_organisation(self, clients_gateway):
        response = await clients_gateway.post(
            "/api/v1/clients",
            json={
                "name": "x",
                "role": "service",
                "organization_id": "0b6f3c1e-6a51-4c55-9a0e-000000000002",
            },
            headers=ADMIN,
        )
        assert response.status_code == 422
