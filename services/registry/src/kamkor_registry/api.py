"""The routers and consumer groups of the registry service."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_registry.households.router import router as households_router
from kamkor_registry.regions.router import router as regions_router

ROUTERS: list[APIRouter] = [regions_router, households_router]
CONSUMERS: list[ConsumerSpec] = []
