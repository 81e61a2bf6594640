"""Hold outcomes staged on `shelter.capacity.v1`, keyed by shelter."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.events.schemas.shelter import (
    HOLD_CONFIRMED,
    HOLD_EXPIRED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HOLD_RELEASED,
    HoldConfirmed,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
)
from kamkor_common.messaging.outbox import stage
from kamkor_shelter.holds.models import BedHold


def stage_hold_placed(
    session: AsyncSession, hold: BedHold, *, cause: CloudEvent | None = None
) -> CloudEvent:
    """Stage the news that beds are held for the referral until `expires_at`."""
    data = HoldPlaced(
        hold_id=hold.id,
        referral_id=hold.referral_id,
        shelter_id=hold.shelter_id,
        category=hold.category,
        expires_at=hold.expires_at,
    )
    return stage(session, HOLD_PLACED, data, cause=cause)


def stage_hold_rejected(
    session: AsyncSession,
    request: BedHoldRequested,
    *,
    reason: str,
    cause: CloudEvent | None = None,
) -> CloudEvent:
    """Stage the refusal of a hold request, with its reason code."""
    data = HoldRejected(
        referral_id=request.referral_id,
        shelter_id=request.shelter_id,
        category=request.category,
        reason=reason,
    )
    return stage(session, HOLD_REJECTED, data, cause=cause)


def stage_hold_released(
    session: AsyncSession, hold: BedHold, *, cause: CloudEvent | None = None
) -> CloudEvent:
    """A released or expired hold: either way the bed is free again; the reason is a code."""
    data = HoldReleased(
        hold_id=hold.id,
        referral_id=hold.referral_id,
        shelter_id=hold.shelter_id,
        reason=hold.reason or hold.status,
    )
    spec = HOLD_EXPIRED if hold.status == "expired" else HOLD_RELEASED
    return stage(session, spec, data, cause=cause)


def stage_hold_confirmed(session: AsyncSession, hold: BedHold) -> CloudEvent:
    """Stage the news that the family arrived: the held beds are occupied now."""
    data = HoldConfirmed(
        hold_id=hold.id,
        referral_id=hold.referral_id,
        shelter_id=hold.shelter_id,
        category=hold.category,
        beds=hold.beds,
    )
    return stage(session, HOLD_CONFIRMED, data)
