"""The routers and consumer groups of the risk service."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_risk.households.handlers import CONSUMER as HOUSEHOLDS_CONSUMER
from kamkor_risk.indicators.router import router as indicators_router
from kamkor_risk.rules.router import router as rules_router
from kamkor_risk.screenings.router import router as screenings_router
from kamkor_risk.stats.router import router as stats_router

ROUTERS: list[APIRouter] = [screenings_router, indicators_router, rules_router, stats_router]
CONSUMERS: list[ConsumerSpec] = [HOUSEHOLDS_CONSUMER]
