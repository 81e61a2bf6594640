"""Aggregates for analysts: `/api/v1/risk/stats/flags`, `/api/v1/risk/stats/screenings`."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.db import SessionDep
from kamkor_common.disclosure import Analyst, DateFrom, DateTo, Region
from kamkor_risk.stats import service
from kamkor_risk.stats.schemas import RiskStats

router = APIRouter(prefix="/api/v1/risk/stats", tags=["risk statistics"])


@router.get("/flags", response_model=RiskStats)
async def flag_stats(
    session: SessionDep,
    principal: Analyst,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: Region = None,
) -> RiskStats:
    """Flags opened in the period by place, domain and severity; counts below 5 suppressed."""
    return await service.flag_stats(
        session=session, date_from=date_from, date_to=date_to, region=region
    )


@router.get("/screenings", response_model=RiskStats)
async def screening_stats(
    session: SessionDep,
    principal: Analyst,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: Region = None,
) -> RiskStats:
    """Screenings of the period by place, domain and severity; counts below 5 suppressed."""
    return await service.screening_stats(
        session=session, date_from=date_from, date_to=date_to, region=region
    )
