"""HTTP routes of who lives in a household, and of a child's move."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_registry.audit.router import Purpose
from kamkor_registry.etag import IfMatch, etag, require_if_match
from kamkor_registry.households.schemas import HouseholdRead
from kamkor_registry.memberships import service
from kamkor_registry.memberships.schemas import ChildMove, MemberAdd, MembershipUpdate

router = APIRouter(prefix="/api/v1/registry", tags=["memberships"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]


@router.post(
    "/households/{household_id}/members",
    status_code=status.HTTP_201_CREATED,
    response_model=HouseholdRead,
)
async def add_member(
    household_id: str,
    member_in: MemberAdd,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    """A registered or new person joins the household; needs the household's If-Match."""
    household = await service.add_member(
        session=session,
        household_id=household_id,
        member_in=member_in,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = etag(household.version)
    return household


@router.patch("/households/{household_id}/members/{person_id}", response_model=HouseholdRead)
async def update_membership(
    household_id: str,
    person_id: str,
    membership_in: MembershipUpdate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    """Change a current stay: role, end (`until`), or the child's caregiver; needs If-Match."""
    household = await service.update_membership(
        session=session,
        household_id=household_id,
        person_id=person_id,
        membership_in=membership_in,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = etag(household.version)
    return household


@router.post("/persons/{person_id}/move", response_model=HouseholdRead)
async def move_child(
    person_id: str,
    move_in: ChildMove,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
) -> HouseholdRead:
    """Move a child to another household: one stay ends, the next begins; answers the new one."""
    household = await service.move_child(
        session=session, person_id=person_id, move_in=move_in, principal=principal, purpose=purpose
    )
    response.headers["ETag"] = etag(household.version)
    return household
