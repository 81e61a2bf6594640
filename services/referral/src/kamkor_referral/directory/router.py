"""HTTP routes of the partner directory: any signed-in role may read it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kamkor_common.auth import CurrentPrincipal
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.directory import service
from kamkor_referral.directory.schemas import OrganizationList, OrganizationRead, ServiceType

router = APIRouter(prefix="/api/v1/partners", tags=["partners"])


@router.get("", response_model=OrganizationList)
async def list_partners(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    service_type: ServiceType | None = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
) -> OrganizationList:
    """Partner organisations, optionally those offering a service type in a region."""
    return await service.list_organizations(
        session=session, service_type=service_type, region=region, page=page
    )


@router.get("/{organization_id}", response_model=OrganizationRead)
async def get_partner(
    organization_id: str, session: SessionDep, principal: CurrentPrincipal
) -> OrganizationRead:
    """One partner organisation with its services and the areas each covers."""
    return await service.get_organization(session=session, organization_id=organization_id)
