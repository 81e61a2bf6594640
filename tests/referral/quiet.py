"""The quiet referral service (no consumers, no timers) with home-care partners in Talas."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.events.schemas.risk import FamilyFlagged
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_referral.config import ReferralSettings
from kamkor_referral.directory.service import seed_directory
from kamkor_referral.intake import service as intake_service
from kamkor_referral.needs import service as needs_service
from kamkor_referral.referrals.schemas import DeadlineRun
from kamkor_referral.responses import deadlines as deadlines_service

# Two home-care partners in Talas, on the quiet service's own database: one for the
# Bakai-Ata district, one for the whole region.
DISTRICT_ORG = "7e570000-0000-4000-8000-00000000f001"
REGION_ORG = "7e570000-0000-4000-8000-00000000f002"
HOME_CARE = (
    SeedOrganization(
        id=DISTRICT_ORG,
        name="Bakai-Ata home care",
        type="ngo",
        languages=("ky",),
        services=(
            SeedService(
                "7e570000-0000-4000-8000-00000000f101",
                "home_care_support",
                "Home care, Bakai-Ata",
                ("KG-T-01",),
            ),
        ),
    ),
    SeedOrganization(
        id=REGION_ORG,
        name="Talas home care",
        type="ngo",
        languages=("ky", "ru"),
        services=(
            SeedService(
                "7e570000-0000-4000-8000-00000000f102",
                "home_care_support",
                "Home care, Talas region",
                ("KG-T",),
            ),
        ),
    ),
)
MINUTE = timedelta(minutes=1)


@pytest.fixture(scope="session")
async def quiet(quiet_referral: Any) -> Any:
    async with quiet_referral.database.sessionmaker() as session, session.begin():
        await seed_directory(session=session, organizations=HOME_CARE)
    return quiet_referral


async def flag(
    quiet: Any,
    household_id: str,
    *domains: tuple[str, str],
    region: str = "KG-T",
    district: str = "KG-T-01",
) -> dict[str, dict[str, Any]]:
    """Flag the family as the risk service would; returns its referrals by service type."""
    event = quiet.family_flagged(household_id, *domains, region=region, district=district)
    async with quiet.database.sessionmaker() as session, session.begin():
        await intake_service.open_from_flag(
            session=session,
            flagged=FamilyFlagged.model_validate(event.data),
            cause=event,
            mapping=mapping(quiet.settings),
            settings=quiet.settings,
        )
    return dict(await quiet.referrals(household_id))


async def home_care(quiet: Any, severity: str = "critical") -> dict[str, Any]:
    """A new family in Bakai-Ata needing home care: `critical` makes it stat."""
    found = await flag(quiet, str(uuid.uuid4()), ("caregiving", severity))
    referral = found["home_care_support"]
    assert referral["status"] == "requested"
    assert referral["partner"]["organization_id"] == DISTRICT_ORG
    return dict(referral)


async def run_deadlines(
    quiet: Any, now: datetime, settings: ReferralSettings | None = None
) -> DeadlineRun:
    """One run of the deadline timer, with its clock at `now`."""
    settings = settings or quiet.settings
    async with quiet.database.sessionmaker() as session, session.begin():
        return await deadlines_service.handle_due_responses(
            session=session, now=now, settings=settings, mapping=mapping(settings)
        )


async def staff_view(quiet: Any, referral: dict[str, Any]) -> dict[str, Any]:
    return dict((await quiet.referrals(referral["household_id"]))[referral["service_type"]])


def mapping(settings: ReferralSettings) -> Any:
    return needs_service.load_mapping(settings.NEEDS_MAPPING_VERSION)


def due_at(referral: dict[str, Any]) -> datetime:
    """When the current attempt's answer is due."""
    return datetime.fromisoformat(referral["attempts"][-1]["response_due_at"])


def made_at(referral: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(referral["attempts"][-1]["created_at"])


async def outbox_types(quiet: Any, referral_id: str) -> list[str]:
    """The event types staged for the referral, in order."""
    async with quiet.database.sessionmaker() as session:
        rows = await session.scalars(
            select(col(OutboxMessage.event_type))
            .where(col(OutboxMessage.key) == referral_id)
            .order_by(col(OutboxMessage.id))
        )
        return list(rows)
