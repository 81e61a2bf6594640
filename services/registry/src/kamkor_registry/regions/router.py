"""HTTP routes of the region reference data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import CurrentPrincipal
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.regions import service
from kamkor_registry.regions.schemas import RegionList, RegionRead

router = APIRouter(prefix="/api/v1/registry/regions", tags=["regions"])


@router.get("", response_model=RegionList)
async def list_regions(
    _: CurrentPrincipal, page: Annotated[PageParams, Depends(page_params)]
) -> RegionList:
    """The nine regions with their districts, names in Kyrgyz, Russian and English."""
    return service.list_regions(page=page)


@router.get("/{code}", response_model=RegionRead)
async def get_region(code: str, _: CurrentPrincipal) -> RegionRead:
    """One region with its districts."""
    return service.get_region(code=code)
