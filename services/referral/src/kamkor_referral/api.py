"""The routers, consumer groups and timers of the referral service."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.registry import (
    CONSENT_RECORDED,
    CONSENT_WITHDRAWN,
    HOUSEHOLD_MERGED,
)
from kamkor_common.events.schemas.risk import FAMILY_FLAGGED, FLAG_RESOLVED, FLAG_UPDATED
from kamkor_common.events.schemas.shelter import (
    CAPACITY_CHANGED,
    HOLD_CONFIRMED,
    HOLD_EXPIRED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HOLD_RELEASED,
)
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS, RISK_FLAGS, SHELTER_CAPACITY
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_common.service import Timer
from kamkor_referral.capacity import handlers as capacity_handlers
from kamkor_referral.config import ReferralSettings
from kamkor_referral.consents import handlers as consent_handlers
from kamkor_referral.contacts.router import router as contacts_router
from kamkor_referral.directory.router import router as directory_router
from kamkor_referral.duplicates import handlers as duplicate_handlers
from kamkor_referral.housing.handlers import HousingHandlers
from kamkor_referral.intake.handlers import IntakeHandlers
from kamkor_referral.lifecycle import router as lifecycle_router
from kamkor_referral.needs import service as needs_service
from kamkor_referral.referrals.router import router as referral_router
from kamkor_referral.responses import deadlines as deadlines_service
from kamkor_referral.responses.router import router as partner_router
from kamkor_referral.stats import service as stats_service
from kamkor_referral.stats.router import router as stats_router
from kamkor_referral.supervision.router import router as supervision_router
from kamkor_referral.webhooks import handlers as webhook_handlers
from kamkor_referral.webhooks import worker as webhook_worker
from kamkor_referral.webhooks.router import ROUTERS as WEBHOOK_ROUTERS

CONSUMER_GROUP = "referral"

ROUTERS: list[APIRouter] = [
    referral_router,
    partner_router,
    lifecycle_router.partner_router,
    lifecycle_router.staff_router,
    contacts_router,
    supervision_router,
    directory_router,
    *WEBHOOK_ROUTERS,
    stats_router,
]


def consumers(settings: ReferralSettings) -> list[ConsumerSpec]:
    """The consumer groups, bound to the settings they need (needs mapping, hold timing).

    Loading the mapping here makes a missing or invalid mapping file stop the service at
    start rather than at its first flag.
    """
    mapping = needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)
    intake = IntakeHandlers(settings=settings, mapping=mapping)
    housing = HousingHandlers(settings=settings, mapping=mapping)
    return [
        ConsumerSpec(
            group_id=CONSUMER_GROUP,
            topics=[RISK_FLAGS, SHELTER_CAPACITY, REGISTRY_HOUSEHOLDS],
            handlers={
                FAMILY_FLAGGED.type: intake.on_family_flagged,
                FLAG_UPDATED.type: intake.on_flag_updated,
                FLAG_RESOLVED.type: intake.on_flag_resolved,
                CAPACITY_CHANGED.type: capacity_handlers.on_capacity_changed,
                HOLD_PLACED.type: housing.on_hold_placed,
                HOLD_REJECTED.type: housing.on_hold_rejected,
                HOLD_RELEASED.type: housing.on_hold_released,
                HOLD_EXPIRED.type: housing.on_hold_released,
                HOLD_CONFIRMED.type: housing.on_hold_confirmed,
                CONSENT_RECORDED.type: consent_handlers.on_consent_recorded,
                CONSENT_WITHDRAWN.type: consent_handlers.on_consent_withdrawn,
                HOUSEHOLD_MERGED.type: duplicate_handlers.on_household_merged,
            },
        ),
        webhook_handlers.consumer(),
    ]


def timers(settings: ReferralSettings) -> list[Timer]:
    """The worker's periodic jobs: response deadlines and half-time reminders, gauges."""
    mapping = needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)

    async def deadlines(session: AsyncSession) -> None:
        await deadlines_service.handle_due_responses(
            session=session, now=utcnow(), settings=settings, mapping=mapping
        )

    async def gauges(session: AsyncSession) -> None:
        await stats_service.measure(session=session)

    return [
        Timer("deadlines", settings.DEADLINE_CHECK_S, deadlines),
        Timer("referral-gauges", settings.METRICS_INTERVAL_S, gauges),
        *webhook_worker.timers(settings),
    ]
