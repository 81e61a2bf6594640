"""The events referrals publish on `referral.referrals.v1`, keyed by the referral id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.referral import (
    BED_HOLD_RELEASE_REQUESTED,
    BED_HOLD_REQUESTED,
    SOURCE,
    BedHoldReleaseRequested,
    BedHoldRequested,
    ReferralChanged,
)
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.messaging.outbox import add_event
from kamkor_referral.referrals.models import Referral


def publish_changed(
    session: AsyncSession,
    referral: Referral,
    *,
    type: str,
    cause: CloudEvent | None,
    status: str | None = None,
    organization_id: str | None = None,
    service_id: str | None = None,
    reason: str | None = None,
) -> None:
    """Stage a ReferralChanged; the partner defaults to the referral's current one."""
    data = ReferralChanged(
        referral_id=referral.id,
        household_id=referral.household_id,
        service_type=referral.service_type,
        priority=referral.priority,
        status=status or referral.status,
        organization_id=organization_id or referral.organization_id,
        service_id=service_id or referral.service_id,
        attempt=referral.attempts_count,
        reason=reason,
    )
    _stage(session, referral, type, data, cause)


def publish_bed_hold_requested(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    category: str,
    cause: CloudEvent | None,
) -> None:
    """Ask the shelter service to hold a bed at the referral's shelter."""
    data = BedHoldRequested(
        referral_id=referral.id,
        household_id=referral.household_id,
        shelter_id=shelter_id,
        category=category,
    )
    _stage(session, referral, BED_HOLD_REQUESTED, data, cause)


def publish_bed_hold_release_requested(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    reason: str,
    cause: CloudEvent | None,
) -> None:
    """Ask the shelter service to let go of the bed it holds (or was asked to hold)."""
    data = BedHoldReleaseRequested(referral_id=referral.id, shelter_id=shelter_id, reason=reason)
    _stage(session, referral, BED_HOLD_RELEASE_REQUESTED, data, cause)


def _stage(
    session: AsyncSession,
    referral: Referral,
    type: str,
    data: ReferralChanged | BedHoldRequested | BedHoldReleaseRequested,
    cause: CloudEvent | None,
) -> None:
    event = new_event(
        source=SOURCE,
        type=type,
        key=referral.id,
        data=data,
        subject=f"referral/{referral.id}",
        cause=cause,
    )
    add_event(session, REFERRAL_REFERRALS, event)
