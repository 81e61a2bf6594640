"""The embedded issuer's discovery document and keys, and tokens checked against them."""

from __future__ import annotations

import jwt

from kamkor_common.testing import dev_token


class TestDiscovery:
    async def test_discovery_names_the_keys_and_the_token_endpoint(self, clients_gateway):
        response = await clients_gateway.get("/.well-known/openid-configuration")
        assert response.status_code == 200
        document = response.json()
        assert document["issuer"] == "https://auth.kamkor.local/dev"
        assert document["jwks_uri"].endswith("/.well-known/jwks.json")
        assert document["token_endpoint"].endswith("/oauth/token")
        assert document["grant_types_supported"] == ["client_credentials"]

    async def test_jwks_holds_public_keys_only_and_verifies_dev_tokens(self, clients_gateway):
        response = await clients_gateway.get("/.well-known/jwks.json")
        assert response.status_code == 200
        keys = response.json()["keys"]
        assert [(k["kty"], k["crv"], k["alg"], k["use"]) for k in keys] == [
            ("EC", "P-256", "ES256", "sig")
        ]
        assert "d" not in keys[0]  # no private part

        token = dev_token("admin")
        assert jwt.get_unverified_header(token)["kid"] == keys[0]["kid"]
        key = jwt.PyJWK(keys[0])
        claims = jwt.decode(token, key.key, algorithms=["ES256"], audience="kamkor")
        assert claims["role"] == "admin"

    async def test_served_without_a_token_and_without_a_rate_limit_count(self, clients_gateway):
        response = await clients_gateway.get("/.well-known/jwks.json")
        assert "ratelimit-limit" not in response.headers
