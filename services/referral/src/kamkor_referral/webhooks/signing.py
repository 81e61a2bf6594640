"""Endpoint secrets (generated, encrypted at rest) and Standard Webhooks signatures."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from cryptography.fernet import Fernet
from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh `whsec_` secret: 32 random bytes, base64 (Standard Webhooks asks 24 to 64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SecretBox:
    """Encrypts endpoint secrets with a key derived from `KAMKOR_WEBHOOK_SECRETS_KEY`."""

    def __init__(self, key: str) -> None:
        derived = hashlib.sha256(key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()


def signature_header(
    *, secrets_in_force: Iterable[str], message_id: str, timestamp: datetime, body: str
) -> str:
    """`v1,<sig>` per secret, space separated: a receiver accepts any one that matches."""
    return " ".join(
        Webhook(secret).sign(msg_id=message_id, timestamp=timestamp, data=body)
        for secret in secrets_in_force
    )


def headers(
    *, secrets_in_force: Iterable[str], message_id: str, timestamp: datetime, body: str
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt."""
    return {
        "content-type": "application/json",
        "user-agent": "Kamkor-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature_header(
            secrets_in_force=secrets_in_force,
            message_id=message_id,
            timestamp=timestamp,
            body=body,
        ),
    }
