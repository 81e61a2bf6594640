"""Every query of the shelter availability read model."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.capacity.models import ShelterAvailability


async def for_shelter(session: AsyncSession, shelter_id: str) -> list[ShelterAvailability]:
    """The stored categories of one shelter, locked until the caller's transaction ends."""
    rows = await session.scalars(
        select(ShelterAvailability)
        .where(col(ShelterAvailability.shelter_id) == shelter_id)
        .with_for_update()
    )
    return list(rows.all())


async def availability(
    session: AsyncSession, *, organization_ids: Iterable[str], category: str
) -> list[ShelterAvailability]:
    """The known shelters of these organisations with beds of the category."""
    rows = await session.scalars(
        select(ShelterAvailability)
        .where(
            col(ShelterAvailability.organization_id).in_(list(organization_ids)),
            col(ShelterAvailability.category) == category,
        )
        .order_by(col(ShelterAvailability.shelter_id))
    )
    return list(rows.all())


def add(session: AsyncSession, row: ShelterAvailability) -> None:
    """Stage a new category row."""
    session.add(row)


async def delete(session: AsyncSession, row: ShelterAvailability) -> None:
    """Drop a category the shelter no longer has."""
    await session.delete(row)
