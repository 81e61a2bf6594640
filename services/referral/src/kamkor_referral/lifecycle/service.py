"""The partner's work on an accepted referral, and staff ending a referral early."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Forbidden
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.schemas.referral import ReferralChanged
from kamkor_common.events.spec import EventSpec
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals import service as referral_service
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.schemas import PartnerReferralRead, ReferralRead
from kamkor_referral.referrals.service import ReferralNotFound
from kamkor_referral.referrals.states import AttemptOutcome, ReferralStatus
from kamkor_referral.responses import service as responses_service

S = ReferralStatus


async def _partner_move(
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
    status: ReferralStatus,
    *,
    spec: EventSpec[ReferralChanged],
    reason: str | None = None,
) -> PartnerReferralRead:
    referral = await responses_service.partners_referral(
        session, principal, referral_id, for_update=True
    )
    journal.move(referral, status, by=principal, reason=reason)
    journal.note(referral, f"{status}: {reason}" if reason else str(status))
    events.publish_changed(session, referral, spec=spec, cause=None)
    if status == S.FAILED:
        placement_service.release_bed(session, referral, reason=events.RELEASE_REFERRAL_FAILED)
    await session.flush()
    return await responses_service.partner_view(session, referral)


async def start(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> PartnerReferralRead:
    """The partner starts working with the family (accepted → in_progress)."""
    return await _partner_move(
        session, principal, referral_id, S.IN_PROGRESS, spec=referral_events.REFERRAL_STARTED
    )


async def put_on_hold(
    *, session: AsyncSession, principal: Principal, referral_id: str, reason: str
) -> PartnerReferralRead:
    """The partner pauses the work, saying why (in_progress → on_hold)."""
    return await _partner_move(
        session,
        principal,
        referral_id,
        S.ON_HOLD,
        spec=referral_events.REFERRAL_PUT_ON_HOLD,
        reason=reason,
    )


async def resume(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> PartnerReferralRead:
    """The partner takes the work up again (on_hold → in_progress)."""
    return await _partner_move(
        session, principal, referral_id, S.IN_PROGRESS, spec=referral_events.REFERRAL_RESUMED
    )


async def fail(
    *, session: AsyncSession, principal: Principal, referral_id: str, reason: str
) -> PartnerReferralRead:
    """The partner could not carry the referral through; a held bed goes back."""
    return await _partner_move(
        session,
        principal,
        referral_id,
        S.FAILED,
        spec=referral_events.REFERRAL_FAILED,
        reason=reason,
    )


async def complete(
    *,
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
    outcome: str,
    note: str | None,
) -> PartnerReferralRead:
    """The partner completes the referral with an outcome code and a note."""
    referral = await responses_service.partners_referral(
        session, principal, referral_id, for_update=True
    )
    journal.move(referral, S.COMPLETED, by=principal, reason=note, outcome=outcome)
    journal.note(referral, f"completed: {outcome}" + (f": {note}" if note else ""))
    events.publish_completed(
        session, referral, spec=referral_events.REFERRAL_COMPLETED, outcome=outcome
    )
    placement_service.release_bed(session, referral, reason=events.RELEASE_REFERRAL_COMPLETED)
    await session.flush()
    return await responses_service.partner_view(session, referral)


async def _staffs_referral(
    session: AsyncSession, principal: Principal, referral_id: str
) -> Referral:
    """The referral, locked, if it lies in the principal's places; otherwise it is absent."""
    referral = await repository.get(session, referral_id, for_update=True)
    if referral is None or not principal.place_scope().allows(referral.region, referral.district):
        raise ReferralNotFound(f"no referral {referral_id}")
    return referral


async def _end(
    session: AsyncSession,
    referral: Referral,
    status: ReferralStatus,
    *,
    principal: Principal,
    reason: str,
    spec: EventSpec[ReferralChanged],
    code: str,
    release_reason: str,
) -> ReferralRead:
    was_waiting = referral.status == S.REQUESTED
    journal.move(referral, status, by=principal, reason=reason)
    journal.note(referral, f"{status} by {principal.role}: {reason}")
    if was_waiting:
        # The partner's pending answer is no longer wanted.
        attempt = await repository.current_attempt(session, referral)
        if attempt is not None and attempt.outcome == AttemptOutcome.PENDING:
            attempt.outcome = AttemptOutcome.SUPERSEDED
            attempt.decided_at = utcnow()
    events.publish_changed(session, referral, spec=spec, cause=None, reason=code)
    placement_service.release_bed(session, referral, reason=release_reason)
    await session.flush()
    return (await referral_service.read(session, [referral]))[0]


async def cancel(
    *, session: AsyncSession, principal: Principal, referral_id: str, reason: str
) -> ReferralRead:
    """Staff cancel an open referral with a reason; a held bed goes back."""
    referral = await _staffs_referral(session, principal, referral_id)
    return await _end(
        session,
        referral,
        S.CANCELLED,
        principal=principal,
        reason=reason,
        spec=referral_events.REFERRAL_CANCELLED,
        code=events.CANCELLED_BY_STAFF,
        release_reason=events.RELEASE_REFERRAL_CANCELLED,
    )


async def enter_in_error(
    *, session: AsyncSession, principal: Principal, referral_id: str, reason: str
) -> ReferralRead:
    """A supervisor or admin marks a referral as made in error; a held bed goes back."""
    if principal.role not in ("supervisor", "admin"):
        raise Forbidden("only a supervisor or an admin can mark a referral entered in error")
    referral = await _staffs_referral(session, principal, referral_id)
    return await _end(
        session,
        referral,
        S.ENTERED_IN_ERROR,
        principal=principal,
        reason=reason,
        spec=referral_events.REFERRAL_ENTERED_IN_ERROR,
        code=events.ENTERED_IN_ERROR,
        release_reason=events.RELEASE_ENTERED_IN_ERROR,
    )
