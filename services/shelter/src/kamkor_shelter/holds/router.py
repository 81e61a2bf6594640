"""HTTP API of bed holds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_shelter.holds import service
from kamkor_shelter.holds.models import HoldStatus
from kamkor_shelter.holds.schemas import HoldList, HoldRead

router = APIRouter(prefix="/api/v1/shelters", tags=["holds"])

HoldReader = Annotated[
    Principal,
    Depends(
        require_roles("social_worker", "supervisor", "admin", "auditor", "shelter_staff", "partner")
    ),
]
ArrivalRecorder = Annotated[Principal, Depends(require_roles("shelter_staff", "admin"))]


@router.get("/{shelter_id}/holds", response_model=HoldList)
async def list_holds(
    shelter_id: str,
    session: SessionDep,
    principal: HoldReader,
    page: Annotated[PageParams, Depends(page_params)],
    status: HoldStatus | None = None,
) -> HoldList:
    """The shelter's bed holds, newest first, optionally of one status."""
    return await service.list_holds(
        session=session, shelter_id=shelter_id, status=status, page=page, principal=principal
    )


@router.post("/{shelter_id}/holds/{hold_id}/confirm", response_model=HoldRead)
async def confirm_hold(
    shelter_id: str, hold_id: str, session: SessionDep, principal: ArrivalRecorder
) -> HoldRead:
    """Record the family's arrival: the held beds become occupied; operator staff or admin."""
    return await service.confirm_hold(
        session=session, shelter_id=shelter_id, hold_id=hold_id, principal=principal
    )
