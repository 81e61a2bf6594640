"""HTTP routes for supervisors: the unassigned queue, escalations, assignment by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.referrals.schemas import ReferralList, ReferralRead
from kamkor_referral.responses.router import Mapping, Settings
from kamkor_referral.supervision import service
from kamkor_referral.supervision.schemas import EscalationList, ReferralAssign

router = APIRouter(prefix="/api/v1/referrals", tags=["supervision"])

Supervisor = Annotated[Principal, Depends(require_roles("supervisor", "admin"))]
Page = Annotated[PageParams, Depends(page_params)]


@router.get("/supervision/unassigned", response_model=ReferralList)
async def unassigned_queue(session: SessionDep, principal: Supervisor, page: Page) -> ReferralList:
    """Your region's referrals nobody could take, most urgent and longest waiting first."""
    return await service.unassigned_queue(session=session, principal=principal, page=page)


@router.get("/supervision/escalations", response_model=EscalationList)
async def escalations(session: SessionDep, principal: Supervisor, page: Page) -> EscalationList:
    """Your region's referrals that need you: unassigned, or the partner's answer overdue."""
    return await service.escalations(session=session, principal=principal, page=page)


@router.post("/{referral_id}/assign", response_model=ReferralRead)
async def assign(
    referral_id: str,
    assign_in: ReferralAssign,
    session: SessionDep,
    principal: Supervisor,
    settings: Settings,
    mapping: Mapping,
) -> ReferralRead:
    """Assign an unassigned (or overdue) referral to the partner service you chose, saying
    why; it must be eligible (`409 service_not_eligible` says why not)."""
    return await service.assign(
        session=session,
        principal=principal,
        referral_id=referral_id,
        assign_in=assign_in,
        settings=settings,
        mapping=mapping,
    )
