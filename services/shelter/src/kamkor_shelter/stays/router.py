"""HTTP API of stays: arrivals without a hold, departures, the list of stays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_shelter.stays import service
from kamkor_shelter.stays.models import StayStatus
from kamkor_shelter.stays.schemas import StayCreate, StayList, StayRead

router = APIRouter(prefix="/api/v1/shelters", tags=["stays"])

StaffOnly = Annotated[Principal, Depends(require_roles("shelter_staff", "admin"))]
StayReader = Annotated[Principal, Depends(require_roles("shelter_staff", "admin", "auditor"))]


@router.get("/{shelter_id}/stays", response_model=StayList)
async def list_stays(
    shelter_id: str,
    session: SessionDep,
    principal: StayReader,
    page: Annotated[PageParams, Depends(page_params)],
    status: StayStatus | None = None,
) -> StayList:
    """The shelter's stays, latest arrival first; operator staff, admins, auditors."""
    return await service.list_stays(
        session=session, shelter_id=shelter_id, status=status, page=page, principal=principal
    )


@router.post("/{shelter_id}/stays", response_model=StayRead, status_code=status.HTTP_201_CREATED)
async def record_arrival(
    shelter_id: str, stay_in: StayCreate, session: SessionDep, principal: StaffOnly
) -> StayRead:
    """A family arrived without a held bed; arrivals of held beds confirm their hold."""
    return await service.arrive(
        session=session, shelter_id=shelter_id, stay_in=stay_in, principal=principal
    )


@router.post("/{shelter_id}/stays/{stay_id}/departure", response_model=StayRead)
async def record_departure(
    shelter_id: str, stay_id: str, session: SessionDep, principal: StaffOnly
) -> StayRead:
    """The family left: the stay ends and its beds are free again."""
    return await service.depart(
        session=session, shelter_id=shelter_id, stay_id=stay_id, principal=principal
    )
