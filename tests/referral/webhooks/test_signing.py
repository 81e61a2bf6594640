"""Secrets and signatures, checked with the reference Standard Webhooks verifier."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cryptography.fernet import InvalidToken
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kamkor_referral.webhooks.signing import SecretBox, headers, new_secret


class TestSecrets:
    def test_fresh_secrets_are_whsec_and_differ(self) -> None:
        first, second = new_secret(), new_secret()
        assert first.startswith("whsec_") and first != second

    def test_sealed_secret_opens_only_with_its_key(self) -> None:
        secret = new_secret()
        sealed = SecretBox("key one").seal(secret)
        assert secret not in sealed
        assert SecretBox("key one").open(sealed) == secret
        with pytest.raises(InvalidToken):
            SecretBox("key two").open(sealed)


class TestHeaders:
    def test_every_secret_in_force_signs(self) -> None:
        old, new, stranger = new_secret(), new_secret(), new_secret()
        body = json.dumps({"type": "t", "data": {}})
        sent = headers(
            secrets_in_force=[new, old],
            message_id="msg-1",
            timestamp=datetime.now(UTC),
            body=body,
        )
        assert sent["webhook-id"] == "msg-1"
        assert len(sent["webhook-signature"].split(" ")) == 2
        for secret in (old, new):
            assert Webhook(secret).verify(body, sent) == {"type": "t", "data": {}}
        with pytest.raises(WebhookVerificationError):
            Webhook(stranger).verify(body, sent)
