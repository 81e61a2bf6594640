"""Aggregates for analysts: `/api/v1/referrals/stats/statuses`, `…/stats/response-times`.

Two path segments after `/api/v1/referrals`, so `/api/v1/referrals/{referral_id}` (one
segment) never takes these requests, whichever router is registered first.
"""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.db import SessionDep
from kamkor_common.disclosure import Analyst, DateFrom, DateTo, Region
from kamkor_referral.stats import service
from kamkor_referral.stats.schemas import ReferralStatusStats, ResponseTimeStats

router = APIRouter(prefix="/api/v1/referrals/stats", tags=["referral statistics"])


@router.get("/statuses", response_model=ReferralStatusStats)
async def status_stats(
    session: SessionDep,
    principal: Analyst,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: Region = None,
) -> ReferralStatusStats:
    """Referrals made in the period by place and status (completed by outcome)."""
    return await service.status_stats(
        session=session, date_from=date_from, date_to=date_to, region=region
    )


@router.get("/response-times", response_model=ResponseTimeStats)
async def response_time_stats(
    session: SessionDep,
    principal: Analyst,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    region: Region = None,
) -> ResponseTimeStats:
    """Hours to a partner's answer by priority and answer; groups under 5 referrals hidden."""
    return await service.response_time_stats(
        session=session, date_from=date_from, date_to=date_to, region=region
    )
