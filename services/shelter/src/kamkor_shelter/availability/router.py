"""HTTP API of availability by region."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kamkor_common.auth import CurrentPrincipal
from kamkor_common.db import SessionDep
from kamkor_shelter.availability import service
from kamkor_shelter.availability.schemas import RegionAvailability
from kamkor_shelter.dependencies import KnownRegion, StaleAfter

router = APIRouter(prefix="/api/v1/shelters", tags=["availability"])


@router.get("/availability", response_model=RegionAvailability)
async def availability(
    region: Annotated[KnownRegion, Query(description="Region code, e.g. `KG-J`.")],
    session: SessionDep,
    _: CurrentPrincipal,
    stale_after: StaleAfter,
) -> RegionAvailability:
    """Free beds of the region per category, for any role; no addresses, no hidden names."""
    return await service.by_region(session=session, region=region, stale_after=stale_after)
