"""HTTP routes of households."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.etag import IfMatch, require_if_match
from kamkor_registry.households import service
from kamkor_registry.households.schemas import (
    HouseholdCreate,
    HouseholdList,
    HouseholdRead,
    HouseholdUpdate,
)

router = APIRouter(prefix="/api/v1/registry/households", tags=["households"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]
# A service reads one household at a person's request (e.g. referral, for a partner it has
# checked for acceptance and consent), never lists them.
OneReader = Annotated[
    Principal,
    Depends(require_roles("social_worker", "supervisor", "admin", "auditor", "service")),
]


def _etag(household: HouseholdRead) -> str:
    return f'"{household.version}"'


@router.post("", status_code=status.HTTP_201_CREATED, response_model=HouseholdRead)
async def create_household(
    household_in: HouseholdCreate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
) -> HouseholdRead:
    """Register a household with its members."""
    household = await service.create_household(
        session=session, household_in=household_in, principal=principal, purpose=purpose
    )
    response.headers["ETag"] = _etag(household)
    response.headers["Location"] = f"{router.prefix}/{household.id}"
    return household


@router.get("", response_model=HouseholdList)
async def list_households(
    session: SessionDep,
    principal: Reader,
    purpose: Purpose,
    page: Annotated[PageParams, Depends(page_params)],
    region: Annotated[str | None, Query(max_length=16)] = None,
    district: Annotated[str | None, Query(max_length=16)] = None,
) -> HouseholdList:
    """Households, newest first, optionally in one region or district."""
    return await service.list_households(
        session=session,
        principal=principal,
        region=region,
        district=district,
        page=page,
        purpose=purpose,
    )


@router.get("/{household_id}", response_model=HouseholdRead)
async def get_household(
    household_id: str,
    session: SessionDep,
    principal: OneReader,
    purpose: Purpose,
    response: Response,
) -> HouseholdRead:
    """One household with its members and contact details; every read is audited."""
    household = await service.get_household(
        session=session, household_id=household_id, principal=principal, purpose=purpose
    )
    response.headers["ETag"] = _etag(household)
    return household


@router.patch("/{household_id}", response_model=HouseholdRead)
async def update_household(
    household_id: str,
    household_in: HouseholdUpdate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    """Change the household's address, phone, language or place; needs `If-Match`."""
    household = await service.update_household(
        session=session,
        household_id=household_id,
        household_in=household_in,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = _etag(household)
    return household
