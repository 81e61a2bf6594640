"""Bearer token verification: whatever a token carries, a bad one is a 401, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from kamkor_common.auth import ALGORITHM, CurrentPrincipal, InvalidToken, TokenVerifier
from kamkor_common.errors import HeaderTooLarge, install_error_handlers
from kamkor_common.inputs import MAX_AUTHORIZATION_BYTES
from kamkor_common.settings import KamkorSettings

SETTINGS = KamkorSettings()
VERIFIER = TokenVerifier(
    secret=SETTINGS.JWT_SECRET, issuer=SETTINGS.JWT_ISSUER, audience=SETTINGS.JWT_AUDIENCE
)


def signed(**claims: Any) -> str:
    """A correctly signed token with these claims, whatever their types.

    PyJWT's `encode` refuses some mistyped claims itself, so the payload is signed as is.
    """
    now = int(time.time())
    payload = {
        "iss": SETTINGS.JWT_ISSUER,
        "aud": SETTINGS.JWT_AUDIENCE,
        "sub": "aigul",
        "iat": now,
        "exp": now + 600,
        "role": "social_worker",
        "region": "KG-J",
        "districts": ["KG-J-06"],
    }
    payload.update(claims)
    return jwt.api_jws.PyJWS().encode(
        json.dumps(payload).encode(), SETTINGS.JWT_SECRET, algorithm=ALGORITHM
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.token_verifier = VERIFIER
    install_error_handlers(app)

    @app.get("/me")
    async def me(principal: CurrentPrincipal) -> dict[str, object]:
        return principal.model_dump()

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


WRONG_TYPES = [
    {"org": ["0b6f3c1e"]},
    {"org": 7},
    {"districts": "KG-J-06"},
    {"districts": [1, 2]},
    {"districts": [["KG-J-06"]]},
    {"region": 5},
    {"region": {"code": "KG-J"}},
    {"role": ["admin"]},
    {"role": {"name": "admin"}},
    {"sub": 42},
    {"sub": ""},
    {"iss": [SETTINGS.JWT_ISSUER]},
    {"aud": {"kamkor": True}},
    {"exp": "tomorrow"},
    {"iat": [1]},
    {"region": "KG-J\x00"},
    {"districts": ["KG-J-06"] * 101},
]


class TestTokenVerifier:
    def test_a_well_formed_token_gives_its_principal(self) -> None:
        principal = VERIFIER.verify(signed(org="org-1"))
        assert (principal.subject, principal.role, principal.organization_id) == (
            "aigul",
            "social_worker",
            "org-1",
        )
        assert (principal.region, principal.districts) == ("KG-J", ["KG-J-06"])

    @pytest.mark.parametrize("claims", WRONG_TYPES, ids=lambda c: ",".join(c))
    def test_a_claim_of_the_wrong_type_is_an_invalid_token(self, claims) -> None:
        with pytest.raises(InvalidToken):
            VERIFIER.verify(signed(**claims))

    def test_an_oversized_token_is_refused_before_decoding(self) -> None:
        with pytest.raises(HeaderTooLarge):
            VERIFIER.verify("x" * (MAX_AUTHORIZATION_BYTES + 1))


class TestGetPrincipal:
    @pytest.mark.parametrize("claims", WRONG_TYPES, ids=lambda c: ",".join(c))
    async def test_a_claim_of_the_wrong_type_is_401_invalid_token(self, client, claims) -> None:
        response = await client.get("/me", headers={"Authorization": f"Bearer {signed(**claims)}"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_token"

    async def test_no_token_is_401_unauthorized(self, client) -> None:
        response = await client.get("/me")
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"

    async def test_a_non_ascii_token_is_401(self, client) -> None:
        response = await client.get("/me", headers=[(b"authorization", "Bearer токен".encode())])
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"

    async def test_an_authorization_header_over_8_kib_is_431(self, client) -> None:
        token = "x" * MAX_AUTHORIZATION_BYTES
        response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 431
        assert response.json()["code"] == "header_too_large"
