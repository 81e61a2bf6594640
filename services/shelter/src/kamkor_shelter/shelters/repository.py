"""Queries of shelters and bed categories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_shelter.shelters.models import Shelter, ShelterCategory


async def get(session: AsyncSession, shelter_id: str) -> Shelter | None:
    """The shelter with this id, or None."""
    return await session.get(Shelter, shelter_id)


async def list_page(
    session: AsyncSession,
    *,
    organization_id: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Shelter], int]:
    """One page of shelters, ordered by region and name, and the count of all that match."""
    query = select(Shelter)
    if organization_id is not None:
        query = query.where(col(Shelter.organization_id) == organization_id)
    if region is not None:
        query = query.where(col(Shelter.region) == region)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Shelter.region), col(Shelter.name), col(Shelter.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def categories_of(session: AsyncSession, shelter_ids: Sequence[str]) -> list[ShelterCategory]:
    """The bed categories of the given shelters."""
    if not shelter_ids:
        return []
    rows = await session.scalars(
        select(ShelterCategory).where(col(ShelterCategory.shelter_id).in_(shelter_ids))
    )
    return list(rows.all())


async def lock_shelter(session: AsyncSession, shelter_id: str) -> Shelter | None:
    """Read a shelter row and keep it locked until the transaction ends.

    PostgreSQL locks the row (`SELECT ... FOR UPDATE`). SQLite has no row locks and its
    driver opens a transaction only at the first write, so a no-op update comes first:
    it takes the database's write lock, which serialises every writer behind us.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(Shelter)
            .where(col(Shelter.id) == shelter_id)
            .values(id=Shelter.id)
            .execution_options(synchronize_session=False)
        )
    row = await session.scalars(
        select(Shelter)
        .where(col(Shelter.id) == shelter_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return row.one_or_none()


async def lock_shelters(session: AsyncSession, shelter_ids: Sequence[str]) -> list[Shelter]:
    """Lock several shelters, always in id order so that two lockers cannot deadlock."""
    locked = []
    for shelter_id in sorted(set(shelter_ids)):
        shelter = await lock_shelter(session, shelter_id)
        if shelter is not None:
            locked.append(shelter)
    return locked


async def lock_category(
    session: AsyncSession, *, shelter_id: str, category: str
) -> ShelterCategory | None:
    """Read a category row and keep it locked until the transaction ends (as `lock_shelter`)."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(
            update(ShelterCategory)
            .where(col(ShelterCategory.shelter_id) == shelter_id)
            .where(col(ShelterCategory.category) == category)
            .values(total=ShelterCategory.total)
            .execution_options(synchronize_session=False)
        )
    row = await session.scalars(
        select(ShelterCategory)
        .where(col(ShelterCategory.shelter_id) == shelter_id)
        .where(col(ShelterCategory.category) == category)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return row.one_or_none()


async def due_to_go_stale(session: AsyncSession, cutoff: datetime) -> list[str]:
    """Ids of shelters not updated since `cutoff` and not yet marked stale (read unlocked)."""
    rows = await session.scalars(
        select(col(Shelter.id))
        .where(col(Shelter.updated_at) <= cutoff)
        .where(col(Shelter.stale_since).is_(None))
    )
    return list(rows.all())


async def in_region(session: AsyncSession, region: str) -> list[Shelter]:
    """Every shelter of a region, by district and name."""
    rows = await session.scalars(
        select(Shelter)
        .where(col(Shelter.region) == region)
        .order_by(col(Shelter.district), col(Shelter.name), col(Shelter.id))
    )
    return list(rows.all())


def add(session: AsyncSession, *rows: Shelter | ShelterCategory) -> None:
    """Stage new shelters or categories in the session."""
    session.add_all(rows)
