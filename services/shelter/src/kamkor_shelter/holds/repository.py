"""Queries of bed holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_shelter.holds.models import ACTIVE, LIVE, BedHold


async def held_beds(
    session: AsyncSession, shelter_ids: Sequence[str]
) -> dict[tuple[str, str], int]:
    """Beds taken by active holds, per (shelter id, category)."""
    if not shelter_ids:
        return {}
    rows = await session.execute(
        select(col(BedHold.shelter_id), col(BedHold.category), func.sum(col(BedHold.beds)))
        .where(col(BedHold.shelter_id).in_(shelter_ids))
        .where(col(BedHold.status) == ACTIVE)
        .group_by(col(BedHold.shelter_id), col(BedHold.category))
    )
    return {(shelter_id, category): int(beds or 0) for shelter_id, category, beds in rows.all()}


async def get(session: AsyncSession, hold_id: str, *, for_update: bool = False) -> BedHold | None:
    """The hold with this id, optionally locked."""
    query = select(BedHold).where(col(BedHold.id) == hold_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(query)).one_or_none()


async def live_of_referral(session: AsyncSession, referral_id: str) -> BedHold | None:
    """The referral's live (held or confirmed) hold at whichever shelter, or None."""
    rows = await session.scalars(
        select(BedHold)
        .where(col(BedHold.referral_id) == referral_id)
        .where(col(BedHold.status).in_(LIVE))
        .execution_options(populate_existing=True)
    )
    return rows.one_or_none()


async def active_at(session: AsyncSession, *, referral_id: str, shelter_id: str) -> BedHold | None:
    """The referral's active hold at this shelter, locked; None when it has none there."""
    rows = await session.scalars(
        select(BedHold)
        .where(col(BedHold.referral_id) == referral_id)
        .where(col(BedHold.shelter_id) == shelter_id)
        .where(col(BedHold.status) == ACTIVE)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return rows.one_or_none()


async def list_page(
    session: AsyncSession, *, shelter_id: str, status: str | None, limit: int, offset: int
) -> tuple[list[BedHold], int]:
    """One page of a shelter's holds, newest first, and the count of all that match."""
    query = select(BedHold).where(col(BedHold.shelter_id) == shelter_id)
    if status is not None:
        query = query.where(col(BedHold.status) == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(BedHold.created_at).desc(), col(BedHold.id)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def shelters_with_due_holds(session: AsyncSession, now: datetime) -> list[str]:
    """Ids of the shelters that have active holds whose time is up (read without locks)."""
    rows = await session.scalars(
        select(col(BedHold.shelter_id))
        .where(col(BedHold.status) == ACTIVE)
        .where(col(BedHold.expires_at) <= now)
        .distinct()
    )
    return list(rows.all())


async def due_for_expiry(
    session: AsyncSession, now: datetime, *, shelter_ids: Sequence[str]
) -> list[BedHold]:
    """Active holds of these shelters whose time is up, locked, soonest due first."""
    if not shelter_ids:
        return []
    rows = await session.scalars(
        select(BedHold)
        .where(col(BedHold.shelter_id).in_(shelter_ids))
        .where(col(BedHold.status) == ACTIVE)
        .where(col(BedHold.expires_at) <= now)
        .order_by(col(BedHold.expires_at), col(BedHold.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows.all())


def add(session: AsyncSession, hold: BedHold) -> None:
    """Stage a new hold in the session."""
    session.add(hold)
