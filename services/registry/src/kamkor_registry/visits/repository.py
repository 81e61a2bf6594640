"""Every query of the home visits domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_registry.visits.models import HomeVisit


async def add_visit(session: AsyncSession, visit: HomeVisit) -> None:
    session.add(visit)
    await session.flush()


async def get_visit(session: AsyncSession, visit_id: str) -> HomeVisit | None:
    return await session.get(HomeVisit, visit_id)


async def list_visits(
    session: AsyncSession, *, household_id: str, round: str | None, limit: int, offset: int
) -> tuple[list[HomeVisit], int]:
    """A household's visits, latest visit first, and how many there are in all."""
    query = select(HomeVisit).where(col(HomeVisit.household_id) == household_id)
    if round is not None:
        query = query.where(col(HomeVisit.round) == round)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(
            col(HomeVisit.visited_on).desc(), col(HomeVisit.created_at).desc(), col(HomeVisit.id)
        )
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)
