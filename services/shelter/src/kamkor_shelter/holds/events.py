"""Hold outcomes staged on `shelter.capacity.v1`, keyed by shelter."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.events.schemas.shelter import (
    HOLD_CONFIRMED,
    HOLD_EXPIRED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HOLD_RELEASED,
    SOURCE,
    HoldConfirmed,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
)
from kamkor_common.events.topics import SHELTER_CAPACITY
from kamkor_common.messaging.outbox import add_event
from kamkor_shelter.holds.models import BedHold


def _stage(
    session: AsyncSession,
    *,
    type: str,
    shelter_id: str,
    data: BaseModel,
    cause: CloudEvent | None,
) -> CloudEvent:
    event = new_event(
        source=SOURCE,
        type=type,
        key=shelter_id,
        subject=f"shelter/{shelter_id}",
        data=data,
        cause=cause,
    )
    add_event(session, SHELTER_CAPACITY, event)
    return event


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
    return _stage(session, type=HOLD_PLACED, shelter_id=hold.shelter_id, data=data, cause=cause)


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
    return _stage(
        session, type=HOLD_REJECTED, shelter_id=request.shelter_id, data=data, cause=cause
    )


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
    event_type = HOLD_EXPIRED if hold.status == "expired" else HOLD_RELEASED
    return _stage(session, type=event_type, shelter_id=hold.shelter_id, data=data, cause=cause)


def stage_hold_confirmed(session: AsyncSession, hold: BedHold) -> CloudEvent:
    """Stage the news that the family arrived: the held beds are occupied now."""
    data = HoldConfirmed(
        hold_id=hold.id,
        referral_id=hold.referral_id,
        shelter_id=hold.shelter_id,
        category=hold.category,
        beds=hold.beds,
    )
    return _stage(session, type=HOLD_CONFIRMED, shelter_id=hold.shelter_id, data=data, cause=None)
