"""Rules of stays: arrivals take beds, departures free them; each change a snapshot."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound
from kamkor_common.pagination import PageParams
from kamkor_shelter.holds.models import BedHold
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.shelters.models import Shelter
from kamkor_shelter.stays import repository
from kamkor_shelter.stays.models import Stay, StayStatus
from kamkor_shelter.stays.schemas import StayCreate, StayList, StayRead

log = logging.getLogger("kamkor.shelter.stays")


class StayNotFound(NotFound):
    code, title = "stay_not_found", "Stay not found"


class NoFreeBeds(Conflict):
    code, title = "no_free_beds", "The category has not enough free beds"


async def open_for_hold(
    *, session: AsyncSession, shelter: Shelter, hold: BedHold, now: datetime
) -> Stay:
    """A confirmed hold's family moves in; the caller holds the shelter's lock."""
    stay = Stay(
        id=str(uuid.uuid4()),
        shelter_id=shelter.id,
        category=hold.category,
        beds=hold.beds,
        hold_id=hold.id,
        referral_id=hold.referral_id,
        arrived_at=now,
    )
    repository.add(session, stay)
    await session.flush()
    return stay


async def arrive(
    *,
    session: AsyncSession,
    shelter_id: str,
    stay_in: StayCreate,
    principal: Principal,
    now: datetime | None = None,
) -> StayRead:
    """A family arrived without a held bed: it takes free beds, never one held for another."""
    shelter = await shelters_service.lock_or_404(session=session, shelter_id=shelter_id)
    shelters_service.ensure_operator(principal, shelter)
    category = await shelters_service.lock_category(
        session=session, shelter_id=shelter.id, category=stay_in.category
    )
    free = 0
    if category is not None:
        free = await shelters_service.free_beds_locked(session=session, category=category)
    if free < stay_in.beds:
        raise NoFreeBeds(
            f"{stay_in.category}: {free} free beds, {stay_in.beds} asked for",
            category=stay_in.category,
            available=free,
        )
    now = now or utcnow()
    stay = Stay(
        id=str(uuid.uuid4()),
        shelter_id=shelter.id,
        category=stay_in.category,
        beds=stay_in.beds,
        arrived_at=now,
    )
    repository.add(session, stay)
    shelters_service.touch(shelter, now=now)
    await shelters_service.stage_snapshot(session=session, shelter=shelter)
    log.info("stay %s began at %s", stay.id, shelter.id)
    return StayRead.model_validate(stay)


async def depart(
    *,
    session: AsyncSession,
    shelter_id: str,
    stay_id: str,
    principal: Principal,
    now: datetime | None = None,
) -> StayRead:
    """The family left: its beds are free again. Recording it twice changes nothing."""
    shelter = await shelters_service.lock_or_404(session=session, shelter_id=shelter_id)
    shelters_service.ensure_operator(principal, shelter)
    stay = await repository.get(session, stay_id, for_update=True)
    if stay is None or stay.shelter_id != shelter.id:
        raise StayNotFound(f"no stay {stay_id} at shelter {shelter_id}")
    if stay.status == StayStatus.DEPARTED:
        return StayRead.model_validate(stay)
    now = now or utcnow()
    stay.status = StayStatus.DEPARTED
    stay.departed_at = now
    shelters_service.touch(shelter, now=now)
    await shelters_service.stage_snapshot(session=session, shelter=shelter)
    log.info("stay %s ended at %s", stay.id, shelter.id)
    return StayRead.model_validate(stay)


async def list_stays(
    *,
    session: AsyncSession,
    shelter_id: str,
    status: StayStatus | None,
    page: PageParams,
    principal: Principal,
) -> StayList:
    """One page of a shelter's stays: its operator's staff, admins and auditors only."""
    shelter = await shelters_service.get_or_404(session=session, shelter_id=shelter_id)
    if principal.role != "auditor":
        shelters_service.ensure_operator(principal, shelter)
    stays, total = await repository.list_page(
        session, shelter_id=shelter_id, status=status, limit=page.limit, offset=page.offset
    )
    return StayList(
        items=[StayRead.model_validate(stay) for stay in stays],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
