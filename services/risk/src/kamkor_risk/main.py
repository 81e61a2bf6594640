"""The risk service: `uvicorn --factory kamkor_risk.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_risk.api import CONSUMERS, ROUTERS
from kamkor_risk.config import RiskSettings
from kamkor_risk.rules.service import load_rule_set

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    # Loaded before anything starts: a missing or invalid rule set stops the process here.
    rule_set = load_rule_set(settings.RULE_SET_VERSION)
    app = create_service_app(
        name="risk",
        title="Kamkor risk",
        description="Risk screening by domain with a published, versioned rule set.",
        settings=settings,
        routers=ROUTERS,
        consumers=CONSUMERS,
        migrations=MIGRATIONS,
    )
    app.state.rule_set = rule_set
    return app
