"""SQL of screenings, assessments and flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kamkor_common.auth import PlaceScope
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.screenings.models import OPEN, DomainAssessment, RiskFlag, Screening


@dataclass(frozen=True)
class FlagFilter:
    household_id: str | None = None
    status: str | None = None
    domain: str | None = None


async def add_screening(
    session: AsyncSession, screening: Screening, assessments: Sequence[DomainAssessment]
) -> None:
    session.add(screening)
    await session.flush()  # the assessments refer to the screening row
    session.add_all(assessments)
    await session.flush()


async def get_screening(session: AsyncSession, screening_id: str) -> Screening | None:
    return await session.get(Screening, screening_id)


async def get_screening_by_visit(session: AsyncSession, visit_id: str) -> Screening | None:
    result = await session.execute(select(Screening).where(col(Screening.visit_id) == visit_id))
    return result.scalars().first()


async def list_assessments(session: AsyncSession, screening_id: str) -> list[DomainAssessment]:
    result = await session.execute(
        select(DomainAssessment).where(col(DomainAssessment.screening_id) == screening_id)
    )
    return list(result.scalars().all())


async def open_flags(session: AsyncSession, household_id: str) -> dict[str, RiskFlag]:
    """The household's open flags by domain."""
    result = await session.execute(
        select(RiskFlag).where(
            col(RiskFlag.household_id) == household_id, col(RiskFlag.status) == OPEN
        )
    )
    return {flag.domain: flag for flag in result.scalars().all()}


async def add_flag(session: AsyncSession, flag: RiskFlag) -> None:
    session.add(flag)
    await session.flush()


async def list_flags(
    session: AsyncSession, *, filters: FlagFilter, scope: PlaceScope, limit: int, offset: int
) -> tuple[list[RiskFlag], int]:
    """One page of the flags of households in the scope, newest change first, and the total."""
    conditions = []
    if filters.household_id is not None:
        conditions.append(col(RiskFlag.household_id) == filters.household_id)
    if filters.status is not None:
        conditions.append(col(RiskFlag.status) == filters.status)
    if filters.domain is not None:
        conditions.append(col(RiskFlag.domain) == filters.domain)
    if not scope.everywhere:
        conditions.append(col(RiskHousehold.region) == scope.region)
        if scope.districts:
            conditions.append(col(RiskHousehold.district).in_(scope.districts))
    joined = select(RiskFlag).join(
        RiskHousehold, col(RiskHousehold.household_id) == col(RiskFlag.household_id)
    )
    total = await session.scalar(
        select(func.count()).select_from(joined.where(*conditions).subquery())
    )
    result = await session.execute(
        joined.where(*conditions)
        .order_by(col(RiskFlag.updated_at).desc(), col(RiskFlag.id))
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars().all()), int(total or 0)
