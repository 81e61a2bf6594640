"""Queries of stays."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_shelter.stays.models import Stay, StayStatus


async def occupied_beds(
    session: AsyncSession, shelter_ids: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Beds taken by present stays, per (shelter id, category)."""
    if not shelter_ids:
        return {}
    rows = await session.execute(
        select(col(Stay.shelter_id), col(Stay.category), func.sum(col(Stay.beds)))
        .where(col(Stay.shelter_id).in_(shelter_ids))
        .where(col(Stay.status) == StayStatus.PRESENT)
        .group_by(col(Stay.shelter_id), col(Stay.category))
    )
    return {(shelter_id, category): int(beds or 0) for shelter_id, category, beds in rows.all()}


async def get(session: AsyncSession, stay_id: str, *, for_update: bool = False) -> Stay | None:
    """The stay with this id, optionally locked."""
    query = select(Stay).where(col(Stay.id) == stay_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


async def of_hold(session: AsyncSession, hold_id: str) -> Stay | None:
    """The stay a confirmed hold turned into, or None."""
    return (await session.scalars(select(Stay).where(col(Stay.hold_id) == hold_id))).one_or_none()


async def list_page(
    session: AsyncSession, *, shelter_id: str, status: str | None, limit: int, offset: int
) -> tuple[list[Stay], int]:
    """One page of a shelter's stays, latest arrival first, and the count of all that match."""
    query = select(Stay).where(col(Stay.shelter_id) == shelter_id)
    if status is not None:
        query = query.where(col(Stay.status) == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Stay.arrived_at).desc(), col(Stay.id)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


def add(session: AsyncSession, stay: Stay) -> None:
    """Stage a new stay in the session."""
    session.add(stay)
