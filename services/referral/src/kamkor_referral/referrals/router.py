"""HTTP routes of referrals for staff: what was referred, to whom, and why."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.directory.schemas import ServiceType
from kamkor_referral.referrals import service
from kamkor_referral.referrals.schemas import ReferralList, ReferralRead
from kamkor_referral.referrals.states import ReferralStatus

router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])

Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.get("", response_model=ReferralList)
async def list_referrals(
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    household_id: Annotated[str | None, Query(max_length=36)] = None,
    status: ReferralStatus | None = None,
    service_type: ServiceType | None = None,
) -> ReferralList:
    """Referrals, newest first: a social worker sees their districts, a supervisor their region."""
    return await service.list_referrals(
        session=session,
        principal=principal,
        household_id=household_id,
        status=status,
        service_type=service_type,
        page=page,
    )


@router.get("/{referral_id}", response_model=ReferralRead)
async def get_referral(referral_id: str, session: SessionDep, principal: Reader) -> ReferralRead:
    """One referral with its partner, attempts and routing reasons."""
    return await service.get_referral(session=session, principal=principal, referral_id=referral_id)
