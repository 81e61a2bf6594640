"""The routers and consumer groups of the shelter service."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_common.service import Timer
from kamkor_shelter.availability import router as availability_router
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.holds import handlers as holds_handlers
from kamkor_shelter.holds import router as holds_router
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.shelters import router as shelters_router
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.stays import router as stays_router

# `/availability` before `/{shelter_id}`, which would otherwise take it for an id.
ROUTERS: list[APIRouter] = [
    availability_router.router,
    shelters_router.router,
    holds_router.router,
    stays_router.router,
]


def consumers(settings: ShelterSettings) -> list[ConsumerSpec]:
    """The consumer groups, bound to the settings they need (the hold time-to-live)."""
    return [holds_handlers.referral_consumer(settings)]


def timers(settings: ShelterSettings) -> list[Timer]:
    """The worker's periodic jobs: holds whose time is up free their beds; stale marking."""
    stale_after = timedelta(hours=settings.STALE_AFTER_HOURS)

    async def expire_holds(session: AsyncSession) -> None:
        await holds_service.expire_due_holds(session=session, now=utcnow())

    async def mark_stale(session: AsyncSession) -> None:
        await shelters_service.mark_stale(session=session, stale_after=stale_after)

    return [
        Timer("expire-holds", settings.HOLD_EXPIRY_CHECK_S, expire_holds),
        Timer("mark-stale", settings.STALE_CHECK_S, mark_stale),
    ]
