"""Rules of bed holds: place or reject, release, expire, confirm; and who may see them."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import BedHoldReleaseRequested, BedHoldRequested
from kamkor_common.pagination import PageParams
from kamkor_shelter.holds import events, repository
from kamkor_shelter.holds.models import ACTIVE, BedHold
from kamkor_shelter.holds.schemas import HoldList, HoldRead
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.shelters.models import Shelter
from kamkor_shelter.stays import repository as stays_repository
from kamkor_shelter.stays import service as stays_service

log = logging.getLogger("kamkor.shelter.holds")

# Reason codes of rejected holds.
INVALID_REQUEST = "invalid_request"
UNKNOWN_SHELTER = "unknown_shelter"
HELD_ELSEWHERE = "held_elsewhere"
NO_CAPACITY = "no_capacity"
# Reason codes of ended holds.
RELEASED = "released"
EXPIRED = "expired"
# What a reason code looks like; anything else is free text and never leaves in an event.
REASON_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Roles whose access to a shelter's holds is limited to the shelters of their organisation.
OPERATOR_ROLES = ("shelter_staff", "partner")


class HoldNotFound(NotFound):
    code, title = "hold_not_found", "Hold not found"


class HoldNotActive(Conflict):
    code, title = "hold_not_active", "The hold has already ended"


@dataclass(frozen=True)
class HoldOutcome:
    """The answer to a hold request: the hold that keeps the bed, or why there is none."""

    hold: BedHold | None
    rejection: str | None = None


def _reject(
    session: AsyncSession, request: BedHoldRequested, reason: str, cause: CloudEvent | None
) -> HoldOutcome:
    events.stage_hold_rejected(session, request, reason=reason, cause=cause)
    return HoldOutcome(hold=None, rejection=reason)


async def request_hold(
    *,
    session: AsyncSession,
    request: BedHoldRequested,
    ttl: timedelta,
    cause: CloudEvent | None = None,
    now: datetime | None = None,
) -> HoldOutcome:
    """Hold beds for a referral if the category has them free, else reject; never overbook.

    The shelter is locked before its free beds are counted, so concurrent requests for it
    queue up and each sees the holds placed before it. A referral keeps at most one live
    hold: asking the same shelter again answers with that hold, asking another shelter is
    rejected as `held_elsewhere` until the referral releases the first one.
    """
    if request.beds < 1:
        # Answered rather than dead-lettered, so that the referral is not left waiting.
        return _reject(session, request, INVALID_REQUEST, cause)
    now = now or utcnow()
    shelter = await shelters_service.lock(session=session, shelter_id=request.shelter_id)
    if shelter is None:
        return _reject(session, request, UNKNOWN_SHELTER, cause)

    # Looked up under the lock: a request racing us for this shelter has committed by now.
    # One racing us for another shelter collides on the unique live hold per referral and
    # is retried by the consumer, which then finds this hold here.
    live = await repository.live_of_referral(session, request.referral_id)
    if live is not None and live.shelter_id == shelter.id:
        return await _answer_with(session, shelter, live, cause)
    if live is not None:
        return _reject(session, request, HELD_ELSEWHERE, cause)

    category = await shelters_service.lock_category(
        session=session, shelter_id=shelter.id, category=request.category
    )
    free = 0
    if category is not None:
        free = await shelters_service.free_beds_locked(session=session, category=category)
    if free < request.beds:
        outcome = _reject(session, request, NO_CAPACITY, cause)
        # The asker's view of this shelter was wrong; a fresh snapshot corrects it.
        await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
        return outcome

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
    session: AsyncSession, shelter: Shelter, hold: BedHold, cause: CloudEvent | None
) -> HoldOutcome:
    """Repeat a referral's existing hold instead of taking another bed."""
    events.stage_hold_placed(session, hold, cause=cause)
    await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
    return HoldOutcome(hold=hold)


def release_code(reason: str) -> str:
    """The release request's reason if it is a code, else plain `released`."""
    return reason if REASON_CODE.fullmatch(reason) else RELEASED


async def release_hold(
    *,
    session: AsyncSession,
    request: BedHoldReleaseRequested,
    cause: CloudEvent | None = None,
    now: datetime | None = None,
) -> BedHold | None:
    """Free the referral's held beds at the named shelter; None when it holds none there."""
    shelter = await shelters_service.lock(session=session, shelter_id=request.shelter_id)
    hold = None
    if shelter is not None:
        hold = await repository.active_at(
            session, referral_id=request.referral_id, shelter_id=shelter.id
        )
    if shelter is None or hold is None:
        log.info("referral %s holds no bed at %s", request.referral_id, request.shelter_id)
        return None
    hold.status = "released"
    # Only a code is kept: the request may carry a partner's own words, which stay with
    # the referral and never travel on in a shelter event.
    hold.reason = release_code(request.reason)
    hold.updated_at = now or utcnow()
    await session.flush()
    events.stage_hold_released(session, hold, cause=cause)
    await shelters_service.stage_snapshot(session=session, shelter=shelter, cause=cause)
    return hold


async def expire_due_holds(*, session: AsyncSession, now: datetime) -> list[BedHold]:
    """Expire every active hold whose time is up; each affected shelter gets one snapshot."""
    due = await repository.shelters_with_due_holds(session, now)
    shelters = await shelters_service.lock_many(session=session, shelter_ids=due)
    # Read again under the locks: another worker may have expired some of them meanwhile.
    holds = await repository.due_for_expiry(
        session, now, shelter_ids=[shelter.id for shelter in shelters]
    )
    for hold in holds:
        hold.status = "expired"
        hold.reason = EXPIRED
        hold.updated_at = now
    await session.flush()
    for hold in holds:
        events.stage_hold_released(session, hold)
    affected = {hold.shelter_id for hold in holds}
    for shelter in shelters:
        if shelter.id in affected:
            await shelters_service.stage_snapshot(session=session, shelter=shelter)
    return holds


async def confirm_hold(
    *,
    session: AsyncSession,
    shelter_id: str,
    hold_id: str,
    principal: Principal,
    now: datetime | None = None,
) -> HoldRead:
    """The family has arrived: its held beds become a stay, in one locked change.

    Confirming again answers with the confirmed hold and its stay, counting nothing twice.
    """
    shelter = await shelters_service.lock_or_404(session=session, shelter_id=shelter_id)
    shelters_service.ensure_operator(principal, shelter)
    hold = await repository.get(session, hold_id, for_update=True)
    if hold is None or hold.shelter_id != shelter.id:
        raise HoldNotFound(f"no hold {hold_id} at shelter {shelter_id}")
    if hold.status == "confirmed":
        stay = await stays_repository.of_hold(session, hold.id)
        return _with_stay(hold, stay.id if stay is not None else None)
    if hold.status != ACTIVE:
        raise HoldNotActive(f"hold {hold_id} is {hold.status}", hold_status=hold.status)
    now = now or utcnow()
    hold.status = "confirmed"
    hold.updated_at = now
    stay = await stays_service.open_for_hold(session=session, shelter=shelter, hold=hold, now=now)
    shelters_service.touch(shelter, now=now)
    events.stage_hold_confirmed(session, hold)
    await shelters_service.stage_snapshot(session=session, shelter=shelter)
    log.info("hold %s confirmed at %s", hold.id, shelter.id)
    return _with_stay(hold, stay.id)


def _with_stay(hold: BedHold, stay_id: str | None) -> HoldRead:
    return HoldRead.model_validate(hold).model_copy(update={"stay_id": stay_id})


async def list_holds(
    *,
    session: AsyncSession,
    shelter_id: str,
    status: str | None,
    page: PageParams,
    principal: Principal,
) -> HoldList:
    """One page of a shelter's holds, to those whose organisation or place covers it."""
    shelter = await shelters_service.get_or_404(session=session, shelter_id=shelter_id)
    if principal.role in OPERATOR_ROLES:
        visible = principal.organization_id == shelter.organization_id
    else:
        visible = principal.place_scope().allows(shelter.region, shelter.district)
    if not visible:
        # Holds outside one's reach stay invisible, as if the shelter had none to show.
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
