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

from kamkor_common.auth import CurrentPrincipal, InvalidToken, verifier_from_settings
from kamkor_common.errors import HeaderTooLarge, install_error_handlers
from kamkor_common.inputs import MAX_AUTHORIZATION_BYTES
from kamkor_common.issuer import EmbeddedIssuer, signing_key_pem
from kamkor_common.settings import KamkorSettings

SETTINGS = KamkorSettings()
VERIFIER = verifier_from_settings(SETTINGS)
ISSUER = EmbeddedIssuer.from_settings(SETTINGS)


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
        json.dumps(payload).encode(),
        signing_key_pem(SETTINGS),
        algorithm="ES256",
        headers={"kid": ISSUER.kid},
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


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": SETTINGS.JWT_ISSUER,
        "aud": SETTINGS.JWT_AUDIENCE,
        "sub": "aigul",
        "iat": now,
        "exp": now + 600,
        "role": "admin",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _alg_none() -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": ISSUER.kid}).encode())
    return f"{header}.{_b64(json.dumps(_claims()).encode())}."


def _key_confusion() -> str:
    """HS256 with the issuer's public key as the shared secret (the classic confusion)."""
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import serialization

    public = ISSUER._key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": ISSUER.kid}).encode())
    body = _b64(json.dumps(_claims()).encode())
    mac = hmac.new(public, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(mac)}"


def _unknown_kid() -> str:
    from kamkor_common.issuer import generate_key_pem

    other = EmbeddedIssuer(
        private_key_pem=generate_key_pem(),
        issuer=SETTINGS.JWT_ISSUER,
        audience=SETTINGS.JWT_AUDIENCE,
    )
    return other.issue(subject="mallory", role="admin")


def _same_kid_other_key() -> str:
    from kamkor_common.issuer import generate_key_pem

    return jwt.encode(_claims(), generate_key_pem(), algorithm="ES256", headers={"kid": ISSUER.kid})


def _signed_as_is(claims: dict[str, Any], **headers: Any) -> str:
    return jwt.api_jws.PyJWS().encode(
        json.dumps(claims).encode(),
        signing_key_pem(SETTINGS),
        algorithm="ES256",
        headers={"kid": ISSUER.kid, **headers},
    )


def _with_header(header: dict[str, Any]) -> str:
    """A signed token whose header is replaced (PyJWT would not write it)."""
    _, body, signature = _signed_as_is(_claims()).split(".")
    return f"{_b64(json.dumps(header).encode())}.{body}.{signature}"


# Each a token an attacker could send; every one is `401 invalid_token`.
ATTACKS: dict[str, Any] = {
    "alg none": _alg_none,
    "HS256 with the public key": _key_confusion,
    "expired": lambda: _signed_as_is(
        _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "wrong audience": lambda: _signed_as_is(_claims(aud="another-api")),
    "wrong issuer": lambda: _signed_as_is(_claims(iss="https://evil.example")),
    "no exp": lambda: _signed_as_is(_claims(exp=None)),
    "no iat": lambda: _signed_as_is(_claims(iat=None)),
    "no sub": lambda: _signed_as_is(_claims(sub=None)),
    "no aud": lambda: _signed_as_is(_claims(aud=None)),
    "no iss": lambda: _signed_as_is(_claims(iss=None)),
    "unknown kid": _unknown_kid,
    "no kid": lambda: jwt.encode(_claims(), signing_key_pem(SETTINGS), algorithm="ES256"),
    "kid of the wrong type": lambda: _with_header({"alg": "ES256", "kid": ["x"]}),
    "the right kid, another key": _same_kid_other_key,
    "iss of the wrong type": lambda: _signed_as_is(_claims(iss={"a": 1})),
    "sub of the wrong type": lambda: _signed_as_is(_claims(sub=["aigul"])),
    "role of the wrong type": lambda: _signed_as_is(_claims(role=1)),
    "not a JWT": lambda: "abc.def",
    "garbage segments": lambda: "e30.e30.e30",
}


class TestAttacks:
    @pytest.mark.parametrize("attack", sorted(ATTACKS))
    def test_the_verifier_refuses(self, attack) -> None:
        with pytest.raises(InvalidToken):
            VERIFIER.verify(ATTACKS[attack]())

    @pytest.mark.parametrize("attack", sorted(ATTACKS))
    async def test_is_401_problem_json(self, client, attack) -> None:
        response = await client.get("/me", headers={"Authorization": f"Bearer {ATTACKS[attack]()}"})
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "invalid_token"

    async def test_an_oversized_token_is_refused_with_431(self, client) -> None:
        token = _signed_as_is(_claims(pad="x" * MAX_AUTHORIZATION_BYTES))
        response = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 431
        assert response.headers["content-type"] == "application/problem+json"

    def test_a_shared_secret_algorithm_is_refused_in_settings(self) -> None:
        with pytest.raises(ValueError):
            KamkorSettings(JWT_ALGORITHMS=["HS256"])

    def test_prod_needs_an_identity_providers_jwks(self) -> None:
        with pytest.raises(ValueError, match="JWKS"):
            KamkorSettings(ENVIRONMENT="prod")


class TestJwks:
    """A verifier fetching an issuer's JWKS over HTTP, as services do from the gateway."""

    @pytest.fixture
    async def jwks_url(self) -> AsyncIterator[tuple[str, list[int]]]:
        from kamkor_common.testing import serving_app

        fetches: list[int] = []
        app = FastAPI()

        @app.get("/jwks.json")
        async def keys() -> dict[str, Any]:
            fetches.append(1)
            return ISSUER.jwks()

        async with serving_app(app) as url:
            yield f"{url}/jwks.json", fetches

    async def test_verifies_with_fetched_keys_and_bounds_refetches(self, jwks_url) -> None:
        import asyncio

        url, fetches = jwks_url
        verifier = verifier_from_settings(
            SETTINGS.model_copy(update={"JWT_JWKS_URL": url, "JWT_JWKS_COOLDOWN_S": 60})
        )
        token = ISSUER.issue(subject="aigul", role="admin")
        principal = await asyncio.to_thread(verifier.verify, token)
        assert principal.subject == "aigul"
        await asyncio.to_thread(verifier.verify, token)
        assert len(fetches) == 1  # cached
        for _ in range(5):
            with pytest.raises(InvalidToken):
                await asyncio.to_thread(verifier.verify, _unknown_kid())
        assert len(fetches) == 1  # an unknown kid refetches at most once per cooldown

    async def test_a_fetch_runs_off_the_event_loop(self, jwks_url) -> None:
        """The JWKS server runs on this test's event loop: a fetch made on the loop would
        block it and time out; `verify_async` fetches in a thread, then checks from cache."""
        url, fetches = jwks_url
        verifier = verifier_from_settings(SETTINGS.model_copy(update={"JWT_JWKS_URL": url}))
        token = ISSUER.issue(subject="aigul", role="admin")
        assert verifier.needs_fetch(token)
        assert (await verifier.verify_async(token)).subject == "aigul"
        assert not verifier.needs_fetch(token)
        assert verifier.needs_fetch(_unknown_kid())
        assert (await verifier.verify_async(token)).subject == "aigul"
        assert len(fetches) == 1

    async def test_an_unreachable_jwks_is_503_not_401(self) -> None:
        from kamkor_common.auth import KeysUnavailable
        from kamkor_common.messaging.broker import free_port

        verifier = verifier_from_settings(
            SETTINGS.model_copy(
                update={"JWT_JWKS_URL": f"http://127.0.0.1:{free_port()}/jwks.json"}
            )
        )
        with pytest.raises(KeysUnavailable):
            verifier.verify(ISSUER.issue(subject="aigul", role="admin"))
