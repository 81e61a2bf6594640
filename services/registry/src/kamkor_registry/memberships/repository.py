"""Every query of the memberships domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_registry.households.models import HouseholdMember


async def current_stays(
    session: AsyncSession, *, person_id: str, household_id: str | None = None
) -> list[HouseholdMember]:
    """The person's stays that have not ended (`until` unset), optionally in one household."""
    query = select(HouseholdMember).where(
        col(HouseholdMember.person_id) == person_id, col(HouseholdMember.until).is_(None)
    )
    if household_id is not None:
        query = query.where(col(HouseholdMember.household_id) == household_id)
    rows = await session.scalars(query.with_for_update())
    return list(rows.all())


async def add_stay(session: AsyncSession, stay: HouseholdMember) -> None:
    session.add(stay)
    await session.flush()
