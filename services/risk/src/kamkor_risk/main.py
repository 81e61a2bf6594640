"""The risk service: `uvicorn --factory kamkor_risk.main:create_app`."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from kamkor_common.service import create_service_app
from kamkor_risk.api import CONSUMERS, ROUTERS
from kamkor_risk.config import RiskSettings
from kamkor_risk.rules import catalogue

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: RiskSettings | None = None) -> FastAPI:
    settings = settings or RiskSettings()
    # Loaded before anything starts: a missing or invalid rule set stops the process here.
    rule_sets = catalogue.load_catalogue(
        default_version=settings.RULE_SET_VERSION, extra_dir=settings.RULE_SET_DIR
    )
    catalogue.install(rule_sets)
    app = create_service_app(
        name="risk",
        title="Kamkor risk",
        description="Risk screening by domain with a published, versioned rule set.",
        settings=settings,
        routers=ROUTERS,
        consumers=CONSUMERS,
        migrations=MIGRATIONS,
    )
    app.state.rule_sets = rule_sets
    return app
