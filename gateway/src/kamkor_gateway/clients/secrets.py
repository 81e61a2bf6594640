"""Client secrets: random, shown once, stored only as a salted scrypt hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# RFC 7914's interactive parameters: about 16 MiB and tens of milliseconds per check.
N, R, P = 2**14, 8, 1
SCHEME = "scrypt"


def new_secret() -> str:
    """256 random bits, URL-safe: fits a form body and an HTTP Basic header unescaped."""
    return secrets.token_urlsafe(32)


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(_scrypt(secret, salt, N, R, P))}"


def verify_secret(secret: str, stored: str) -> bool:
    """True when `secret` hashes to `stored`; constant time in the comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        computed = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(computed, _unb64(digest))


# Checked against when the client does not exist, so that an unknown id costs the same.
DUMMY_HASH = hash_secret(new_secret())
