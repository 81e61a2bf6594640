"""Counting queries over screenings and flags; no row of one family leaves this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.screenings.models import DomainAssessment, RiskFlag, Screening

Count = tuple[str, str, str, int]


def _place(region: str | None) -> Any:
    """The place column of the rows: the region, or within one region the district."""
    return col(RiskHousehold.region) if region is None else col(RiskHousehold.district)


async def flag_counts(
    session: AsyncSession, *, since: datetime | None, until: datetime | None, region: str | None
) -> list[Count]:
    """(place, domain, severity, flags) of the flags opened in the period."""
    place = _place(region)
    query = select(place, col(RiskFlag.domain), col(RiskFlag.severity), func.count()).join(
        RiskHousehold, col(RiskHousehold.household_id) == col(RiskFlag.household_id)
    )
    if since is not None:
        query = query.where(col(RiskFlag.opened_at) >= since)
    if until is not None:
        query = query.where(col(RiskFlag.opened_at) < until)
    if region is not None:
        query = query.where(col(RiskHousehold.region) == region)
    rows = await session.execute(
        query.group_by(place, col(RiskFlag.domain), col(RiskFlag.severity))
    )
    return [(p, domain, severity, int(n)) for p, domain, severity, n in rows]


async def assessment_counts(
    session: AsyncSession, *, since: datetime | None, until: datetime | None, region: str | None
) -> list[Count]:
    """(place, domain, severity, screenings) of the domain scores of screenings in the period."""
    place = _place(region)
    query = (
        select(place, col(DomainAssessment.domain), col(DomainAssessment.severity), func.count())
        .join(Screening, col(Screening.id) == col(DomainAssessment.screening_id))
        .join(RiskHousehold, col(RiskHousehold.household_id) == col(Screening.household_id))
    )
    if since is not None:
        query = query.where(col(Screening.created_at) >= since)
    if until is not None:
        query = query.where(col(Screening.created_at) < until)
    if region is not None:
        query = query.where(col(RiskHousehold.region) == region)
    rows = await session.execute(
        query.group_by(place, col(DomainAssessment.domain), col(DomainAssessment.severity))
    )
    return [(p, domain, severity, int(n)) for p, domain, severity, n in rows]
