"""HTTP routes of sibling groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_registry.audit.router import Purpose
from kamkor_registry.siblings import service
from kamkor_registry.siblings.schemas import (
    MeetingCreate,
    SiblingGroupCreate,
    SiblingGroupList,
    SiblingGroupRead,
)

router = APIRouter(prefix="/api/v1/registry", tags=["sibling groups"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.post(
    "/sibling-groups", status_code=status.HTTP_201_CREATED, response_model=SiblingGroupRead
)
async def create_sibling_group(
    group_in: SiblingGroupCreate, session: SessionDep, principal: Writer, purpose: Purpose
) -> SiblingGroupRead:
    """Group a family's children, wherever each lives now, as siblings."""
    return await service.create_group(
        session=session, group_in=group_in, principal=principal, purpose=purpose
    )


@router.get("/sibling-groups/{group_id}", response_model=SiblingGroupRead)
async def get_sibling_group(
    group_id: str, session: SessionDep, principal: Reader, purpose: Purpose
) -> SiblingGroupRead:
    """One sibling group: where each child lives, whether they are apart, when they last met."""
    return await service.get_group(
        session=session, group_id=group_id, principal=principal, purpose=purpose
    )


@router.post("/sibling-groups/{group_id}/meetings", response_model=SiblingGroupRead)
async def record_sibling_meeting(
    group_id: str,
    meeting_in: MeetingCreate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
) -> SiblingGroupRead:
    """The siblings met on a day; the latest such day is kept."""
    return await service.record_meeting(
        session=session,
        group_id=group_id,
        meeting_in=meeting_in,
        principal=principal,
        purpose=purpose,
    )


@router.get("/households/{household_id}/sibling-groups", response_model=SiblingGroupList)
async def list_household_sibling_groups(
    household_id: str, session: SessionDep, principal: Reader, purpose: Purpose
) -> SiblingGroupList:
    """The sibling groups of the household's children."""
    return await service.list_for_household(
        session=session, household_id=household_id, principal=principal, purpose=purpose
    )
