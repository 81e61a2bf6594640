"""`GET /api/v1/risk/indicators`: the questionnaire's vocabulary."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from kamkor_common.auth import CurrentPrincipal
from kamkor_common.indicators.schemas import Indicator
from kamkor_common.pagination import Page, PageParams, page_params
from kamkor_risk.indicators import service

router = APIRouter(prefix="/api/v1/risk/indicators", tags=["indicators"])


@router.get("", response_model=Page[Indicator])
async def list_indicators(
    _principal: CurrentPrincipal, page: PageParams = Depends(page_params)
) -> Page[Indicator]:
    """Every indicator with its type, range and labels in ky/ru/en."""
    indicators = service.list_indicators()
    return Page(
        items=indicators[page.offset : page.offset + page.limit],
        total=len(indicators),
        limit=page.limit,
        offset=page.offset,
    )
