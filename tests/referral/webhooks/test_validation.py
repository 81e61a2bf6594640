"""Endpoint URLs by environment, and the settings that guard webhook secrets."""

from __future__ import annotations

import pytest

from kamkor_referral.config import ReferralSettings
from kamkor_referral.webhooks.validation import WebhookUrlInvalid, check_url

PROD = {
    "ENVIRONMENT": "prod",
    "JWT_JWKS_URL": "https://idp.example/jwks",
    "WEBHOOK_SECRETS_KEY": "y" * 40,
}


class TestCheckUrl:
    def test_production_refuses_loopback_and_private_addresses(self) -> None:
        settings = ReferralSettings(**PROD)
        for url in (
            "http://127.0.0.1:8080/hooks",
            "https://127.0.0.1/hooks",
            "https://localhost/hooks",
            "https://10.0.0.5/hooks",
            "https://[::1]/hooks",
        ):
            with pytest.raises(WebhookUrlInvalid):
                check_url(url, settings)
        assert check_url("https://crm.example.kg/kamkor", settings)

    def test_development_allows_plain_http_to_loopback_only(self) -> None:
        settings = ReferralSettings(ENVIRONMENT="dev")
        assert check_url("http://localhost:9000/hooks", settings)
        assert check_url("http://[::1]:9000/hooks", settings)
        with pytest.raises(WebhookUrlInvalid):
            check_url("http://10.0.0.5/hooks", settings)


class TestSettings:
    def test_production_needs_its_own_secrets_key(self) -> None:
        with pytest.raises(ValueError, match="WEBHOOK_SECRETS_KEY"):
            ReferralSettings(
                **{**PROD, "WEBHOOK_SECRETS_KEY": ReferralSettings().WEBHOOK_SECRETS_KEY}
            )

    def test_schedule_and_claim_are_checked(self) -> None:
        with pytest.raises(ValueError, match="RETRY_SCHEDULE"):
            ReferralSettings(WEBHOOK_RETRY_SCHEDULE_S=[])
        with pytest.raises(ValueError, match="CLAIM_S"):
            ReferralSettings(WEBHOOK_CLAIM_S=5, WEBHOOK_TIMEOUT_S=10)
