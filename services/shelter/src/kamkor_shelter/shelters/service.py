"""Rules of shelters: availability, capacity snapshots, staff edits and staleness."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, Forbidden, NotFound
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import CapacityChanged, CategoryCapacity
from kamkor_common.pagination import PageParams
from kamkor_shelter.holds import repository as holds_repository
from kamkor_shelter.shelters import events, repository
from kamkor_shelter.shelters.models import Shelter, ShelterCategory
from kamkor_shelter.shelters.schemas import (
    CATEGORIES,
    CategoryRead,
    ShelterList,
    ShelterRead,
)
from kamkor_shelter.stays import repository as stays_repository


class ShelterNotFound(NotFound):
    code, title = "shelter_not_found", "Shelter not found"


class NotShelterOperator(Forbidden):
    code, title = "not_shelter_operator", "Only the shelter's operator may do this"


class CapacityConflict(Conflict):
    code, title = "capacity_conflict", "The change would leave fewer beds than are taken"


def free_beds(category: ShelterCategory, *, held: int, occupied: int) -> int:
    """Available = total - out of service - occupied - active holds, never below zero."""
    return max(0, category.total - category.out_of_service - occupied - held)


def is_stale(shelter: Shelter, *, stale_after: timedelta, now: datetime | None = None) -> bool:
    """Marked stale by the worker, or due to be: beds unconfirmed for `stale_after`."""
    return shelter.stale_since is not None or shelter.updated_at <= (now or utcnow()) - stale_after


def may_see_address(principal: Principal, shelter: Shelter) -> bool:
    """A confidential address only for admins and the operator's own staff."""
    if not shelter.confidential_address or principal.role == "admin":
        return True
    return (
        principal.role == "shelter_staff" and principal.organization_id == shelter.organization_id
    )


async def categories_of(
    session: AsyncSession, shelter_ids: Sequence[str]
) -> dict[str, list[CategoryRead]]:
    """Each shelter's categories with occupied, held and available beds, in a fixed order."""
    rows = await repository.categories_of(session, shelter_ids)
    held = await holds_repository.held_beds(session, shelter_ids)
    occupied = await stays_repository.occupied_beds(session, shelter_ids)
    rows.sort(key=lambda row: CATEGORIES.index(row.category))
    result: dict[str, list[CategoryRead]] = {shelter_id: [] for shelter_id in shelter_ids}
    for row in rows:
        key = (row.shelter_id, row.category)
        taken, present = held.get(key, 0), occupied.get(key, 0)
        result[row.shelter_id].append(
            CategoryRead(
                category=row.category,
                total=row.total,
                out_of_service=row.out_of_service,
                occupied=present,
                held=taken,
                available=free_beds(row, held=taken, occupied=present),
            )
        )
    return result


def _shelter_read(
    shelter: Shelter,
    categories: list[CategoryRead],
    *,
    principal: Principal | None,
    stale_after: timedelta,
) -> ShelterRead:
    visible = principal is None or may_see_address(principal, shelter)
    return ShelterRead(
        id=shelter.id,
        organization_id=shelter.organization_id,
        name=shelter.name,
        region=shelter.region,
        district=shelter.district,
        confidential_address=shelter.confidential_address,
        address=shelter.address if visible else None,
        updated_at=shelter.updated_at,
        stale=is_stale(shelter, stale_after=stale_after),
        version=shelter.version,
        categories=categories,
    )


async def find(*, session: AsyncSession, shelter_id: str) -> Shelter | None:
    """The shelter, or None when there is no such shelter."""
    return await repository.get(session, shelter_id)


async def get_or_404(*, session: AsyncSession, shelter_id: str) -> Shelter:
    """The shelter, or ShelterNotFound."""
    shelter = await repository.get(session, shelter_id)
    if shelter is None:
        raise ShelterNotFound(f"no shelter {shelter_id}")
    return shelter


async def in_region(*, session: AsyncSession, region: str) -> list[Shelter]:
    """Every shelter of the region."""
    return await repository.in_region(session, region)


async def read(
    *,
    session: AsyncSession,
    shelter: Shelter,
    principal: Principal | None,
    stale_after: timedelta,
) -> ShelterRead:
    """The shelter as its API shows it to this reader."""
    await session.flush()
    categories = await categories_of(session, [shelter.id])
    return _shelter_read(
        shelter, categories[shelter.id], principal=principal, stale_after=stale_after
    )


async def get_shelter(
    *, session: AsyncSession, shelter_id: str, principal: Principal, stale_after: timedelta
) -> ShelterRead:
    """A shelter with the availability of each of its bed categories."""
    shelter = await get_or_404(session=session, shelter_id=shelter_id)
    return await read(
        session=session, shelter=shelter, principal=principal, stale_after=stale_after
    )


async def list_shelters(
    *,
    session: AsyncSession,
    organization_id: str | None,
    region: str | None,
    page: PageParams,
    principal: Principal,
    stale_after: timedelta,
) -> ShelterList:
    """One page of shelters, each with its categories."""
    shelters, total = await repository.list_page(
        session,
        organization_id=organization_id,
        region=region,
        limit=page.limit,
        offset=page.offset,
    )
    categories = await categories_of(session, [shelter.id for shelter in shelters])
    return ShelterList(
        items=[
            _shelter_read(s, categories[s.id], principal=principal, stale_after=stale_after)
            for s in shelters
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def lock(*, session: AsyncSession, shelter_id: str) -> Shelter | None:
    """Lock the shelter until the transaction ends; None when there is no such shelter.

    Every change that stages a snapshot takes this lock first: changes to one shelter then
    run one after the other, so the newest snapshot always sees every change before it,
    whichever category each touched.
    """
    return await repository.lock_shelter(session, shelter_id)


async def lock_or_404(*, session: AsyncSession, shelter_id: str) -> Shelter:
    """Lock the shelter as `lock` does, or raise ShelterNotFound."""
    shelter = await repository.lock_shelter(session, shelter_id)
    if shelter is None:
        raise ShelterNotFound(f"no shelter {shelter_id}")
    return shelter


async def lock_many(*, session: AsyncSession, shelter_ids: Sequence[str]) -> list[Shelter]:
    """Lock several shelters as `lock` does, in an order that cannot deadlock."""
    return await repository.lock_shelters(session, shelter_ids)


async def lock_category(
    *, session: AsyncSession, shelter_id: str, category: str
) -> ShelterCategory | None:
    """Lock a category until the transaction ends, so that its counts cannot change."""
    return await repository.lock_category(session, shelter_id=shelter_id, category=category)


async def free_beds_locked(*, session: AsyncSession, category: ShelterCategory) -> int:
    """Free beds of a category whose shelter the caller has locked."""
    key = (category.shelter_id, category.category)
    held = await holds_repository.held_beds(session, [category.shelter_id])
    occupied = await stays_repository.occupied_beds(session, [category.shelter_id])
    return free_beds(category, held=held.get(key, 0), occupied=occupied.get(key, 0))


def touch(shelter: Shelter, *, now: datetime | None = None) -> None:
    """Staff have changed or confirmed the shelter's beds: it is up to date again."""
    shelter.updated_at = now or utcnow()
    shelter.stale_since = None


async def stage_snapshot(
    *, session: AsyncSession, shelter: Shelter, cause: CloudEvent | None = None
) -> CapacityChanged:
    """Stage a full capacity snapshot of the shelter; the caller holds the shelter's lock."""
    await session.flush()
    categories = await categories_of(session, [shelter.id])
    snapshot = CapacityChanged(
        shelter_id=shelter.id,
        organization_id=shelter.organization_id,
        region=shelter.region,
        district=shelter.district,
        categories=[CategoryCapacity(**c.model_dump()) for c in categories[shelter.id]],
        as_of=utcnow(),
        updated_at=shelter.updated_at,
        stale=shelter.stale_since is not None,
    )
    events.stage_capacity_changed(session, snapshot, cause=cause)
    return snapshot


def ensure_operator(principal: Principal, shelter: Shelter) -> None:
    """Admins, or the staff of the organisation that runs the shelter; else 403."""
    ensure_operator_of(principal, shelter.organization_id, what=f"shelter {shelter.id}")


def ensure_operator_of(principal: Principal, organization_id: str, *, what: str) -> None:
    """Admins, or staff of this organisation (their token's `org`); else 403."""
    if principal.role == "admin":
        return
    if principal.organization_id is None or principal.organization_id != organization_id:
        raise NotShelterOperator(f"{what} is run by another organisation")


async def mark_stale(
    *, session: AsyncSession, stale_after: timedelta, now: datetime | None = None
) -> list[Shelter]:
    """Mark the shelters whose beds went unconfirmed for `stale_after`; each gets a snapshot."""
    now = now or utcnow()
    cutoff = now - stale_after
    due = await repository.due_to_go_stale(session, cutoff)
    marked = []
    for shelter in await lock_many(session=session, shelter_ids=due):
        # Read again under the lock: staff may have updated it, or another worker marked it.
        if shelter.stale_since is not None or shelter.updated_at > cutoff:
            continue
        shelter.stale_since = now
        await stage_snapshot(session=session, shelter=shelter)
        marked.append(shelter)
    return marked
