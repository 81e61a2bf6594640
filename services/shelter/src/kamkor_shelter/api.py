"""The routers and consumer groups of the shelter service."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.holds import handlers as holds_handlers
from kamkor_shelter.holds import router as holds_router
from kamkor_shelter.shelters import router as shelters_router

ROUTERS: list[APIRouter] = [shelters_router.router, holds_router.router]


def consumers(settings: ShelterSettings) -> list[ConsumerSpec]:
    """The consumer groups, bound to the settings they need (the hold time-to-live)."""
    return [holds_handlers.referral_consumer(settings)]
