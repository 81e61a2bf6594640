"""HTTP API of shelters and their bed counts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status

from kamkor_common.auth import CurrentPrincipal, Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.errors import PROBLEM_JSON, PROBLEM_REF
from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.pagination import PageParams, page_params
from kamkor_shelter.dependencies import IfMatch, StaleAfter
from kamkor_shelter.shelters import editing, service
from kamkor_shelter.shelters.schemas import (
    CategoryRead,
    CategoryUpdate,
    ShelterCreate,
    ShelterList,
    ShelterRead,
    ShelterUpdate,
)

router = APIRouter(prefix="/api/v1/shelters", tags=["shelters"])

CapacityEditor = Annotated[Principal, Depends(require_roles("shelter_staff", "admin"))]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }


STALE: dict[int | str, dict[str, Any]] = {
    412: _problem("The shelter changed since it was read: `version_mismatch`.")
}
MISSING: dict[int | str, dict[str, Any]] = {
    428: _problem("If-Match is required: `if_match_required`.")
}


@router.post("", response_model=ShelterRead, status_code=status.HTTP_201_CREATED)
async def create_shelter(
    shelter_in: ShelterCreate,
    session: SessionDep,
    principal: CapacityEditor,
    stale_after: StaleAfter,
    response: Response,
) -> ShelterRead:
    """Register a shelter of the caller's organisation (any organisation for admins)."""
    shelter = await editing.create_shelter(
        session=session, shelter_in=shelter_in, principal=principal
    )
    response.headers["ETag"] = editing.etag(shelter.version)
    response.headers["Location"] = f"{router.prefix}/{shelter.id}"
    return await service.read(
        session=session, shelter=shelter, principal=principal, stale_after=stale_after
    )


@router.get("", response_model=ShelterList)
async def list_shelters(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    stale_after: StaleAfter,
    organization_id: Annotated[str | None, Query(max_length=36)] = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
) -> ShelterList:
    """Shelters with the availability of each bed category."""
    return await service.list_shelters(
        session=session,
        organization_id=organization_id,
        region=region,
        page=page,
        principal=principal,
        stale_after=stale_after,
    )


@router.get("/{shelter_id}", response_model=ShelterRead)
async def get_shelter(
    shelter_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    stale_after: StaleAfter,
    response: Response,
) -> ShelterRead:
    """One shelter with total, out of service, occupied, held and available beds."""
    shelter = await service.get_shelter(
        session=session, shelter_id=shelter_id, principal=principal, stale_after=stale_after
    )
    response.headers["ETag"] = editing.etag(shelter.version)
    return shelter


@router.patch("/{shelter_id}", response_model=ShelterRead, responses=STALE | MISSING)
async def update_shelter(
    shelter_id: str,
    shelter_in: ShelterUpdate,
    session: SessionDep,
    principal: CapacityEditor,
    stale_after: StaleAfter,
    response: Response,
    if_match: IfMatch = None,
) -> ShelterRead:
    """Edit a shelter; If-Match with its ETag is required (412 if it changed, 428 if absent)."""
    shelter = await editing.update_shelter(
        session=session,
        shelter_id=shelter_id,
        shelter_in=shelter_in,
        if_match=if_match,
        principal=principal,
    )
    response.headers["ETag"] = editing.etag(shelter.version)
    return await service.read(
        session=session, shelter=shelter, principal=principal, stale_after=stale_after
    )


@router.put("/{shelter_id}/categories/{category}", response_model=CategoryRead, responses=STALE)
async def update_category(
    shelter_id: str,
    category: BedCategory,
    counts_in: CategoryUpdate,
    session: SessionDep,
    principal: CapacityEditor,
    response: Response,
    if_match: IfMatch = None,
) -> CategoryRead:
    """Set a category's total and out-of-service beds; If-Match is checked when sent."""
    counts, version = await editing.update_category(
        session=session,
        shelter_id=shelter_id,
        category=category,
        counts_in=counts_in,
        if_match=if_match,
        principal=principal,
    )
    response.headers["ETag"] = editing.etag(version)
    return counts
