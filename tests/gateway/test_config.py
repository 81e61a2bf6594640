from __future__ import annotations

import pytest
from pydantic import ValidationError

from kamkor_gateway.config import GatewaySettings


class TestGatewaySettings:
    def test_defaults_limit_every_class_and_allow_no_origin(self):
        settings = GatewaySettings(ENVIRONMENT="test")

        assert settings.RATE_LIMIT_ANONYMOUS == "60/minute"
        assert settings.RATE_LIMIT_PARTNER == "600/minute"
        assert settings.RATE_LIMIT_STAFF == "1200/minute"
        assert settings.CORS_ORIGINS == []
        assert settings.REDIS_URL is None
        assert settings.HTTPS is False

    def test_reads_limits_and_origins_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("KAMKOR_RATE_LIMIT_PARTNER", "10/second;300/minute")
        monkeypatch.setenv("KAMKOR_RATE_LIMIT_ROLES", '{"analyst": "60/minute"}')
        monkeypatch.setenv("KAMKOR_CORS_ORIGINS", '["https://app.kamkor.kg"]')
        monkeypatch.setenv("KAMKOR_REDIS_URL", "redis://redis:6379/0")

        settings = GatewaySettings(ENVIRONMENT="test")

        assert settings.RATE_LIMIT_PARTNER == "10/second;300/minute"
        assert settings.RATE_LIMIT_ROLES == {"analyst": "60/minute"}
        assert settings.CORS_ORIGINS == ["https://app.kamkor.kg"]
        assert settings.REDIS_URL == "redis://redis:6379/0"

    @pytest.mark.parametrize(
        "wrong",
        [
            {"RATE_LIMIT_STAFF": "plenty"},
            {"RATE_LIMIT_ANONYMOUS": "60 per fortnight"},
            {"RATE_LIMIT_ROLES": {"boss": "1/minute"}},
            {"RATE_LIMIT_ROLES": {"analyst": "often"}},
            {"CORS_ORIGINS": ["*"]},
            {"CORS_ORIGINS": ["https://*.kamkor.kg"]},
            {"CORS_ORIGINS": ["https://app.kamkor.kg/"]},
            {"CORS_ORIGINS": ["app.kamkor.kg"]},
            {"CORS_ORIGINS": ["null"]},
        ],
    )
    def test_refuses_what_would_fail_later_or_open_too_wide(self, wrong):
        with pytest.raises(ValidationError):
            GatewaySettings(ENVIRONMENT="test", **wrong)
