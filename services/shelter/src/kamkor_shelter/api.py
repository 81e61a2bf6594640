"""The routers and consumer groups of the shelter service."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_common.service import Timer
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.holds import handlers as holds_handlers
from kamkor_shelter.holds import router as holds_router
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.shelters import router as shelters_router

ROUTERS: list[APIRouter] = [shelters_router.router, holds_router.router]


def consumers(settings: ShelterSettings) -> list[ConsumerSpec]:
    """The consumer groups, bound to the settings they need (the hold time-to-live)."""
    return [holds_handlers.referral_consumer(settings)]


def timers(settings: ShelterSettings) -> list[Timer]:
    """The worker's periodic jobs: holds whose time is up free their beds."""

    async def expire_holds(session: AsyncSession) -> None:
        await holds_service.expire_due_holds(session=session, now=utcnow())

    return [Timer("expire-holds", settings.HOLD_EXPIRY_CHECK_S, expire_holds)]
