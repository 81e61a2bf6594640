"""Rules of shelters: availability, capacity snapshots and staff updates of bed counts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

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
    CategoryUpdate,
    ShelterCreate,
    ShelterList,
    ShelterRead,
)


class ShelterNotFound(NotFound):
    code, title = "shelter_not_found", "Shelter not found"


class NotShelterOperator(Forbidden):
    code, title = "not_shelter_operator", "Only the shelter's operator may do this"


class CapacityConflict(Conflict):
    code, title = "capacity_conflict", "The change would leave fewer beds than are taken"


def free_beds(category: ShelterCategory, *, held: int) -> int:
    """Available = total - out of service - occupied - active holds, never below zero."""
    return max(0, category.total - category.out_of_service - category.occupied - held)


def _category_read(category: ShelterCategory, held: int) -> CategoryRead:
    return CategoryRead(
        category=category.category,
        total=category.total,
        out_of_service=category.out_of_service,
        occupied=category.occupied,
        held=held,
        available=free_beds(category, held=held),
    )


async def _categories(
    session: AsyncSession, shelter_ids: Sequence[str]
) -> dict[str, list[CategoryRead]]:
    """Each shelter's categories with their held and available beds, in a fixed order."""
    rows = await repository.categories_of(session, shelter_ids)
    held = await holds_repository.held_beds(session, shelter_ids)
    rows.sort(key=lambda row: CATEGORIES.index(row.category))
    result: dict[str, list[CategoryRead]] = {shelter_id: [] for shelter_id in shelter_ids}
    for row in rows:
        result[row.shelter_id].append(
            _category_read(row, held.get((row.shelter_id, row.category), 0))
        )
    return result


def _shelter_read(shelter: Shelter, categories: list[CategoryRead]) -> ShelterRead:
    return ShelterRead(
        id=shelter.id,
        organization_id=shelter.organization_id,
        name=shelter.name,
        region=shelter.region,
        district=shelter.district,
        confidential_address=shelter.confidential_address,
        updated_at=shelter.updated_at,
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


async def get_shelter(*, session: AsyncSession, shelter_id: str) -> ShelterRead:
    """A shelter with the availability of each of its bed categories."""
    shelter = await get_or_404(session=session, shelter_id=shelter_id)
    categories = await _categories(session, [shelter.id])
    return _shelter_read(shelter, categories[shelter.id])


async def list_shelters(
    *,
    session: AsyncSession,
    organization_id: str | None,
    region: str | None,
    page: PageParams,
) -> ShelterList:
    """One page of shelters, each with its categories."""
    shelters, total = await repository.list_page(
        session,
        organization_id=organization_id,
        region=region,
        limit=page.limit,
        offset=page.offset,
    )
    categories = await _categories(session, [shelter.id for shelter in shelters])
    return ShelterList(
        items=[_shelter_read(shelter, categories[shelter.id]) for shelter in shelters],
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
    """Free beds of a category that the caller has locked with `lock_category`."""
    held = await holds_repository.held_beds(session, [category.shelter_id])
    return free_beds(category, held=held.get((category.shelter_id, category.category), 0))


async def stage_snapshot(
    *, session: AsyncSession, shelter: Shelter, cause: CloudEvent | None = None
) -> CapacityChanged:
    """Stage a full capacity snapshot of the shelter; the caller holds the shelter's lock."""
    await session.flush()
    categories = await _categories(session, [shelter.id])
    snapshot = CapacityChanged(
        shelter_id=shelter.id,
        organization_id=shelter.organization_id,
        region=shelter.region,
        district=shelter.district,
        categories=[CategoryCapacity(**c.model_dump()) for c in categories[shelter.id]],
        as_of=utcnow(),
    )
    events.stage_capacity_changed(session, snapshot, cause=cause)
    return snapshot


async def create_shelter(*, session: AsyncSession, shelter_in: ShelterCreate) -> Shelter:
    """Register a shelter with its bed totals and publish its first snapshot."""
    shelter = Shelter(
        id=shelter_in.id or str(uuid.uuid4()),
        organization_id=shelter_in.organization_id,
        name=shelter_in.name,
        region=shelter_in.region,
        district=shelter_in.district,
        confidential_address=shelter_in.confidential_address,
    )
    repository.add(session, shelter)
    await session.flush()
    repository.add(
        session,
        *(
            ShelterCategory(shelter_id=shelter.id, category=category, total=total)
            for category, total in shelter_in.beds.items()
        ),
    )
    await stage_snapshot(session=session, shelter=shelter)
    return shelter


async def occupy(
    *, session: AsyncSession, shelter_id: str, category: str, beds: int
) -> ShelterCategory:
    """Count arrived beds as occupied; the caller holds the shelter's lock."""
    row = await repository.lock_category(session, shelter_id=shelter_id, category=category)
    if row is None:
        # Holds are only placed in a category the shelter has; it is never deleted.
        raise CapacityConflict(f"shelter {shelter_id} has no {category} beds")
    row.occupied += beds
    return row


def ensure_operator(principal: Principal, shelter: Shelter) -> None:
    """Admins, or the staff of the organisation that runs the shelter; else 403."""
    if principal.role == "admin":
        return
    if principal.organization_id is None or principal.organization_id != shelter.organization_id:
        raise NotShelterOperator(f"shelter {shelter.id} is run by another organisation")


async def update_category(
    *,
    session: AsyncSession,
    shelter_id: str,
    category: str,
    counts_in: CategoryUpdate,
    principal: Principal,
) -> CategoryRead:
    """Set a category's counts (creating it if new) and publish the shelter's snapshot.

    The shelter stays locked while the holds are counted, so a hold placed at the same
    moment cannot slip in between and leave the shelter overbooked.
    """
    shelter = await lock_or_404(session=session, shelter_id=shelter_id)
    ensure_operator(principal, shelter)
    row = await repository.lock_category(session, shelter_id=shelter_id, category=category)
    if row is None:
        # A category offered for the first time; nobody else can create it meanwhile, as
        # every writer of this shelter waits for its lock.
        row = ShelterCategory(shelter_id=shelter_id, category=category)
        repository.add(session, row)
    for field, value in counts_in.model_dump(exclude_unset=True).items():
        setattr(row, field, value)
    held = await holds_repository.held_beds(session, [shelter_id])
    taken = held.get((shelter_id, category), 0)
    if row.total - row.out_of_service - row.occupied - taken < 0:
        raise CapacityConflict(
            f"{category}: {row.total} beds cannot cover {row.out_of_service} out of service, "
            f"{row.occupied} occupied and {taken} held",
            category=category,
            held=taken,
        )
    shelter.updated_at = utcnow()
    await stage_snapshot(session=session, shelter=shelter)
    return _category_read(row, taken)
