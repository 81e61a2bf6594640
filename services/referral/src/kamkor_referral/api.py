"""The routers, consumer groups and timers of the referral service."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.risk import FAMILY_FLAGGED
from kamkor_common.events.schemas.shelter import (
    CAPACITY_CHANGED,
    HOLD_CONFIRMED,
    HOLD_EXPIRED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HOLD_RELEASED,
)
from kamkor_common.events.topics import RISK_FLAGS, SHELTER_CAPACITY
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_common.service import Timer
from kamkor_referral.capacity import handlers as capacity_handlers
from kamkor_referral.config import ReferralSettings
from kamkor_referral.directory.router import router as directory_router
from kamkor_referral.needs import service as needs_service
from kamkor_referral.referrals import service as referral_service
from kamkor_referral.referrals.handlers import ReferralHandlers
from kamkor_referral.referrals.partner_router import router as partner_router
from kamkor_referral.referrals.router import router as referral_router
from kamkor_referral.stats import service as stats_service
from kamkor_referral.webhooks import handlers as webhook_handlers
from kamkor_referral.webhooks import worker as webhook_worker
from kamkor_referral.webhooks.router import ROUTERS as WEBHOOK_ROUTERS

CONSUMER_GROUP = "referral"

ROUTERS: list[APIRouter] = [referral_router, partner_router, directory_router, *WEBHOOK_ROUTERS]


def consumers(settings: ReferralSettings) -> list[ConsumerSpec]:
    """The consumer groups, bound to the settings they need (needs mapping, hold timing).

    Loading the mapping here makes a missing or invalid mapping file stop the service at
    start rather than at its first flag.
    """
    referrals = ReferralHandlers(
        settings=settings, mapping=needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)
    )
    return [
        ConsumerSpec(
            group_id=CONSUMER_GROUP,
            topics=[RISK_FLAGS, SHELTER_CAPACITY],
            handlers={
                FAMILY_FLAGGED: referrals.on_family_flagged,
                CAPACITY_CHANGED: capacity_handlers.on_capacity_changed,
                HOLD_PLACED: referrals.on_hold_placed,
                HOLD_REJECTED: referrals.on_hold_rejected,
                HOLD_RELEASED: referrals.on_hold_released,
                HOLD_EXPIRED: referrals.on_hold_released,
                HOLD_CONFIRMED: referrals.on_hold_confirmed,
            },
        ),
        webhook_handlers.consumer(),
    ]


def timers(settings: ReferralSettings) -> list[Timer]:
    """The worker's periodic jobs: response deadlines and half-time reminders, gauges."""
    mapping = needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)

    async def deadlines(session: AsyncSession) -> None:
        await referral_service.handle_due_responses(
            session=session, now=utcnow(), settings=settings, mapping=mapping
        )

    async def gauges(session: AsyncSession) -> None:
        await stats_service.measure(session=session)

    return [
        Timer("deadlines", settings.DEADLINE_CHECK_S, deadlines),
        Timer("referral-gauges", settings.METRICS_INTERVAL_S, gauges),
        *webhook_worker.timers(settings),
    ]
