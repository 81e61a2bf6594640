"""HTTP API of shelters and their availability."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import CurrentPrincipal, Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.pagination import PageParams, page_params
from kamkor_shelter.shelters import service
from kamkor_shelter.shelters.schemas import CategoryRead, CategoryUpdate, ShelterList, ShelterRead

router = APIRouter(prefix="/api/v1/shelters", tags=["shelters"])

CapacityEditor = Annotated[Principal, Depends(require_roles("shelter_staff", "admin"))]


@router.get("", response_model=ShelterList)
async def list_shelters(
    session: SessionDep,
    _: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    organization_id: str | None = None,
    region: str | None = None,
) -> ShelterList:
    """Shelters with the availability of each bed category."""
    return await service.list_shelters(
        session=session, organization_id=organization_id, region=region, page=page
    )


@router.get("/{shelter_id}", response_model=ShelterRead)
async def get_shelter(shelter_id: str, session: SessionDep, _: CurrentPrincipal) -> ShelterRead:
    """One shelter with total, out of service, occupied, held and available beds."""
    return await service.get_shelter(session=session, shelter_id=shelter_id)


@router.put("/{shelter_id}/categories/{category}", response_model=CategoryRead)
async def update_category(
    shelter_id: str,
    category: BedCategory,
    counts_in: CategoryUpdate,
    session: SessionDep,
    principal: CapacityEditor,
) -> CategoryRead:
    """Set a bed category's counts; the operator's staff or an admin only."""
    return await service.update_category(
        session=session,
        shelter_id=shelter_id,
        category=category,
        counts_in=counts_in,
        principal=principal,
    )
