"""Every query of the households domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_common.auth import PlaceScope
from kamkor_registry.households.models import Household, HouseholdMember, Person

Membership = tuple[HouseholdMember, Person]


async def get_household(
    session: AsyncSession, household_id: str, *, for_update: bool = False
) -> Household | None:
    # FOR UPDATE: concurrent changes of one household queue, so none is lost between the
    # version check and the write.
    return await session.get(Household, household_id, with_for_update=for_update)


async def list_households(
    session: AsyncSession,
    *,
    scope: PlaceScope,
    region: str | None,
    district: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Household], int]:
    """One page of the households in the scope, newest first, and how many match in all."""
    # Tombstones of merged households are not listed; their ids still read.
    query = select(Household).where(col(Household.merged_into).is_(None))
    if not scope.everywhere:
        query = query.where(col(Household.region) == scope.region)
        if scope.districts:
            query = query.where(col(Household.district).in_(scope.districts))
    if region is not None:
        query = query.where(col(Household.region) == region)
    if district is not None:
        query = query.where(col(Household.district) == district)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Household.created_at).desc(), col(Household.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def list_memberships(
    session: AsyncSession, household_ids: Sequence[str]
) -> dict[str, list[Membership]]:
    """The memberships of the given households with their persons, oldest person first."""
    found: dict[str, list[Membership]] = {household_id: [] for household_id in household_ids}
    if not household_ids:
        return found
    rows = await session.execute(
        select(HouseholdMember, Person)
        .join(Person, col(Person.id) == col(HouseholdMember.person_id))
        .where(col(HouseholdMember.household_id).in_(household_ids))
        .order_by(col(Person.birth_date), col(Person.id))
    )
    for member, person in rows.all():
        found[member.household_id].append((member, person))
    return found


async def find_persons_by_pin(session: AsyncSession, pins: Iterable[str]) -> list[Person]:
    wanted = list(pins)
    if not wanted:
        return []
    rows = await session.scalars(select(Person).where(col(Person.pin).in_(wanted)))
    return list(rows.all())


async def add_household(session: AsyncSession, household: Household) -> None:
    session.add(household)
    await session.flush()


async def add_persons(session: AsyncSession, persons: Sequence[Person]) -> None:
    session.add_all(persons)
    await session.flush()


async def add_memberships(session: AsyncSession, memberships: Sequence[HouseholdMember]) -> None:
    # Flushed after their household and persons: without relationships the unit of work
    # does not order inserts by foreign key.
    session.add_all(memberships)
    await session.flush()


async def get_person(
    session: AsyncSession, person_id: str, *, for_update: bool = False
) -> Person | None:
    return await session.get(Person, person_id, with_for_update=for_update)


async def person_memberships(session: AsyncSession, person_id: str) -> list[HouseholdMember]:
    """A person's stays in households, oldest first."""
    rows = await session.scalars(
        select(HouseholdMember)
        .where(col(HouseholdMember.person_id) == person_id)
        .order_by(col(HouseholdMember.since), col(HouseholdMember.household_id))
    )
    return list(rows.all())


async def get_households(
    session: AsyncSession, household_ids: Sequence[str], *, for_update: bool = False
) -> list[Household]:
    """The households, in id order (a fixed lock order, so two writers never deadlock)."""
    if not household_ids:
        return []
    query = (
        select(Household)
        .where(col(Household.id).in_(sorted(set(household_ids))))
        .order_by(col(Household.id))
    )
    if for_update:
        query = query.with_for_update()
    rows = await session.scalars(query)
    return list(rows.all())
