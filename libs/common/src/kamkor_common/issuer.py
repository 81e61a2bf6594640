"""The embedded token issuer: ES256 signatures, a JWKS and an OpenID discovery document.

In `make run` and the tests it signs the dev users' tokens; the gateway signs the
client-credentials grant's tokens with it in every environment. Its key is a PEM given in
`KAMKOR_JWT_SIGNING_KEY`, or the file `KAMKOR_JWT_SIGNING_KEY_FILE`, generated there on
first use outside production. Verifiers get its public keys from its JWKS (decision 17).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from kamkor_common.settings import KamkorSettings

ALGORITHM = "ES256"
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"


class SigningKeyMissing(RuntimeError):
    """Production signs only with a key it was given."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def generate_key_pem() -> bytes:
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _create_once(path: Path) -> None:
    """Write a new key to `path` unless one is there; safe when processes race for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(generate_key_pem())
    try:
        # A hard link fails if the name exists: the first writer wins, whole or not at all.
        with contextlib.suppress(FileExistsError):
            os.link(scratch, path)
    finally:
        scratch.unlink()


def signing_key_pem(settings: KamkorSettings) -> bytes:
    """The issuer's private key: given, read from its file, or (outside prod) created there."""
    if settings.JWT_SIGNING_KEY:
        return settings.JWT_SIGNING_KEY.encode()
    path = Path(settings.JWT_SIGNING_KEY_FILE)
    if not path.exists():
        if settings.ENVIRONMENT == "prod":
            raise SigningKeyMissing(f"no signing key: set KAMKOR_JWT_SIGNING_KEY or provide {path}")
        _create_once(path)
    return path.read_bytes()


class EmbeddedIssuer:
    """Signs tokens with one EC P-256 key; its `kid` is the key's RFC 7638 thumbprint."""

    def __init__(self, *, private_key_pem: bytes, issuer: str, audience: str) -> None:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the signing key must be an EC P-256 private key (ES256)")
        self._key = key
        self.issuer, self.audience = issuer, audience
        public: dict[str, Any] = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
        members = {name: public[name] for name in ("crv", "kty", "x", "y")}
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
        self.kid = _b64(hashlib.sha256(canonical).digest())
        self._jwk = {**members, "use": "sig", "alg": ALGORITHM, "kid": self.kid}

    @classmethod
    def from_settings(
        cls, settings: KamkorSettings, *, issuer: str | None = None
    ) -> EmbeddedIssuer:
        """The issuer of these settings' key, named `issuer` (default `JWT_ISSUER`)."""
        name = issuer or settings.JWT_ISSUER
        return _cached(signing_key_pem(settings), name, settings.JWT_AUDIENCE)

    def jwks(self) -> dict[str, Any]:
        """The public keys (RFC 7517), as served at `/.well-known/jwks.json`."""
        return {"keys": [dict(self._jwk)]}

    def discovery(self, base_url: str) -> dict[str, Any]:
        """OpenID Connect Discovery metadata: where the keys and the token endpoint are."""
        base = base_url.rstrip("/")
        return {
            "issuer": self.issuer,
            "jwks_uri": base + JWKS_PATH,
            "token_endpoint": base + "/oauth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
            ],
            "id_token_signing_alg_values_supported": [ALGORITHM],
            "token_endpoint_auth_signing_alg_values_supported": [ALGORITHM],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
        }

    def issue(
        self,
        *,
        subject: str,
        role: str,
        organization_id: str | None = None,
        region: str | None = None,
        districts: Iterable[str] = (),
        ttl_s: int = 8 * 3600,
        extra: dict[str, Any] | None = None,
    ) -> str:
        from kamkor_common.auth import ROLES

        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            **(extra or {}),
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "exp": now + ttl_s,
            "jti": str(uuid.uuid4()),
            "role": role,
        }
        if organization_id:
            claims["org"] = organization_id
        if region:
            claims["region"] = region
        if districts:
            claims["districts"] = list(districts)
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid})


@functools.lru_cache(maxsize=8)
def _cached(pem: bytes, issuer: str, audience: str) -> EmbeddedIssuer:
    return EmbeddedIssuer(private_key_pem=pem, issuer=issuer, audience=audience)


def embedded_issuer_or_none(settings: KamkorSettings) -> EmbeddedIssuer | None:
    """The embedded issuer where it may sign: outside prod, or with a key given in prod."""
    if settings.ENVIRONMENT == "prod" and not settings.JWT_SIGNING_KEY:
        return None
    return EmbeddedIssuer.from_settings(settings)
