"""Rules of bed holds: place or reject, release, expire; and who may see them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import BedHoldReleaseRequested, BedHoldRequested
from kamkor_common.pagination import PageParams
from kamkor_shelter.holds import events, repository
from kamkor_shelter.holds.models import ACTIVE, BedHold
from kamkor_shelter.holds.schemas import HoldList, HoldRead
from kamkor_shelter.shelters import service as shelters_service

log = logging.getLogger("kamkor.shelter.holds")

NO_CAPACITY = "no_capacity"
UNKNOWN_SHELTER = "unknown_shelter"
EXPIRED = "expired"
# A hold in one of these states already answered its referral with a bed.
ANSWERED = ("held", "confirmed")
# Roles whose access to a shelter's holds is limited to the shelters of their organisation.
OPERATOR_ROLES = ("shelter_staff", "partner")


@dataclass(frozen=True)
class HoldOutcome:
    """The answer to a hold request: the hold that keeps the bed, or why there is none."""

    hold: BedHold | None
    rejection: str | None = None


async def request_hold(
    *,
    session: AsyncSession,
    request: BedHoldRequested,
    ttl: timedelta,
    cause: CloudEvent | None = None,
    now: datetime | None = None,
) -> HoldOutcome:
    """Hold beds for a referral if the category has them free, else reject; never overbook.

    The category row is locked before its free beds are counted, so concurrent requests
    for the same category queue up and each sees the holds placed before it. A referral
    keeps at most one hold: asking again answers with the hold it already has.
    """
    now = now or utcnow()
    shelter = await shelters_service.find(session=session, shelter_id=request.shelter_id)
    if shelter is None:
        existing = await repository.get_by_referral(session, request.referral_id)
        if existing is not None and existing.status in ANSWERED:
            return await _answer_with(session, existing, cause)
        events.stage_hold_rejected(session, request, reason=UNKNOWN_SHELTER, cause=cause)
        return HoldOutcome(hold=None, rejection=UNKNOWN_SHELTER)

    category = await shelters_service.lock_category(
        session=session, shelter_id=shelter.id, category=request.category
    )
    # Looked up under the lock: a request racing us for the same category has committed
    # by now. One racing us for another category collides on the unique referral id and
    # is retried by the consumer, which then finds this hold here.
    existing = await repository.get_by_referral(session, request.referral_id, for_update=True)
    if existing is not None and existing.status in ANSWERED:
        return await _answer_with(session, existing, cause)

    free = 0
    if category is not None:
        free = await shelters_service.free_beds_locked(session=session, category=category)
    if free < request.beds:
        events.stage_hold_rejected(session, request, reason=NO_CAPACITY, cause=cause)
        await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
        return HoldOutcome(hold=None, rejection=NO_CAPACITY)

    if existing is not None:
        # The referral's earlier hold has ended (released or expired): this request is a
        # new attempt, e.g. after the referral moved on to another partner.
        await repository.delete(session, existing)
    hold = BedHold(
        id=str(uuid.uuid4()),
        referral_id=request.referral_id,
        shelter_id=shelter.id,
        category=request.category,
        beds=request.beds,
        status=ACTIVE,
        expires_at=now + ttl,
        created_at=now,
        updated_at=now,
    )
    repository.add(session, hold)
    await session.flush()
    events.stage_hold_placed(session, hold, cause=cause)
    await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
    log.info("hold %s placed for referral %s at %s", hold.id, hold.referral_id, shelter.id)
    return HoldOutcome(hold=hold)


async def _answer_with(
    session: AsyncSession, hold: BedHold, cause: CloudEvent | None
) -> HoldOutcome:
    """Repeat a referral's existing hold instead of taking another bed."""
    events.stage_hold_placed(session, hold, cause=cause)
    shelter = await shelters_service.find(session=session, shelter_id=hold.shelter_id)
    if shelter is not None:
        await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
    return HoldOutcome(hold=hold)


async def release_hold(
    *,
    session: AsyncSession,
    request: BedHoldReleaseRequested,
    cause: CloudEvent | None = None,
    now: datetime | None = None,
) -> BedHold | None:
    """Free the referral's held beds; None when it holds nothing (already ended or never)."""
    hold = await repository.get_by_referral(session, request.referral_id, for_update=True)
    if hold is None or hold.status != ACTIVE:
        log.info("referral %s holds no bed to release", request.referral_id)
        return None
    hold.status = "released"
    hold.reason = request.reason[:200]
    hold.updated_at = now or utcnow()
    await session.flush()
    events.stage_hold_released(session, hold, cause=cause)
    shelter = await shelters_service.get_or_404(session=session, shelter_id=hold.shelter_id)
    await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
    return hold


async def expire_due_holds(*, session: AsyncSession, now: datetime) -> list[BedHold]:
    """Expire every active hold whose time is up; each affected shelter gets one snapshot."""
    holds = await repository.due_for_expiry(session, now)
    for hold in holds:
        hold.status = "expired"
        hold.reason = EXPIRED
        hold.updated_at = now
    await session.flush()
    for hold in holds:
        events.stage_hold_released(session, hold)
    for shelter_id in dict.fromkeys(hold.shelter_id for hold in holds):
        shelter = await shelters_service.get_or_404(session=session, shelter_id=shelter_id)
        await shelters_service.stage_snapshot(session=session, shelter=shelter)
    return holds


async def list_holds(
    *,
    session: AsyncSession,
    shelter_id: str,
    status: str | None,
    page: PageParams,
    principal: Principal,
) -> HoldList:
    """One page of a shelter's holds; operators' staff see only their own shelters."""
    shelter = await shelters_service.get_or_404(session=session, shelter_id=shelter_id)
    if principal.role in OPERATOR_ROLES and principal.organization_id != shelter.organization_id:
        # Another organisation's holds stay invisible, as if the shelter had none to show.
        raise shelters_service.ShelterNotFound(f"no shelter {shelter_id}")
    holds, total = await repository.list_page(
        session, shelter_id=shelter_id, status=status, limit=page.limit, offset=page.offset
    )
    return HoldList(
        items=[HoldRead.model_validate(hold) for hold in holds],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
