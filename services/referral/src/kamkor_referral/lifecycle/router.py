"""HTTP routes of the lifecycle: partners' work on a referral, staff ending one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_referral.lifecycle import service
from kamkor_referral.lifecycle.schemas import ReasonGiven, ReferralComplete
from kamkor_referral.referrals.schemas import PartnerReferralRead, ReferralRead

partner_router = APIRouter(prefix="/partner/v1/referrals", tags=["partner referrals"])
staff_router = APIRouter(prefix="/api/v1/referrals", tags=["referrals"])

Partner = Annotated[Principal, Depends(require_roles("partner"))]
Staff = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Supervisor = Annotated[Principal, Depends(require_roles("supervisor", "admin"))]


@partner_router.post("/{referral_id}/start", response_model=PartnerReferralRead)
async def start(referral_id: str, session: SessionDep, principal: Partner) -> PartnerReferralRead:
    """Start working with the family on an `accepted` referral."""
    return await service.start(session=session, principal=principal, referral_id=referral_id)


@partner_router.post("/{referral_id}/hold", response_model=PartnerReferralRead)
async def put_on_hold(
    referral_id: str, hold_in: ReasonGiven, session: SessionDep, principal: Partner
) -> PartnerReferralRead:
    """Pause the work on an `in_progress` referral, saying why."""
    return await service.put_on_hold(
        session=session, principal=principal, referral_id=referral_id, reason=hold_in.reason
    )


@partner_router.post("/{referral_id}/resume", response_model=PartnerReferralRead)
async def resume(referral_id: str, session: SessionDep, principal: Partner) -> PartnerReferralRead:
    """Take up the work on an `on_hold` referral again."""
    return await service.resume(session=session, principal=principal, referral_id=referral_id)


@partner_router.post("/{referral_id}/complete", response_model=PartnerReferralRead)
async def complete(
    referral_id: str, complete_in: ReferralComplete, session: SessionDep, principal: Partner
) -> PartnerReferralRead:
    """Complete an `in_progress` or `on_hold` referral with an outcome code and a note."""
    return await service.complete(
        session=session,
        principal=principal,
        referral_id=referral_id,
        outcome=complete_in.outcome,
        note=complete_in.note,
    )


@partner_router.post("/{referral_id}/fail", response_model=PartnerReferralRead)
async def fail(
    referral_id: str, fail_in: ReasonGiven, session: SessionDep, principal: Partner
) -> PartnerReferralRead:
    """Close an `in_progress` or `on_hold` referral as failed, saying why."""
    return await service.fail(
        session=session, principal=principal, referral_id=referral_id, reason=fail_in.reason
    )


@staff_router.post("/{referral_id}/cancel", response_model=ReferralRead)
async def cancel(
    referral_id: str, cancel_in: ReasonGiven, session: SessionDep, principal: Staff
) -> ReferralRead:
    """Cancel an open referral in your places, saying why; a held bed is given back."""
    return await service.cancel(
        session=session, principal=principal, referral_id=referral_id, reason=cancel_in.reason
    )


@staff_router.post("/{referral_id}/entered-in-error", response_model=ReferralRead)
async def entered_in_error(
    referral_id: str, error_in: ReasonGiven, session: SessionDep, principal: Supervisor
) -> ReferralRead:
    """Mark a referral as made in error (supervisors and admins), saying why."""
    return await service.enter_in_error(
        session=session, principal=principal, referral_id=referral_id, reason=error_in.reason
    )
