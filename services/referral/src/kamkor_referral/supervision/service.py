"""The supervisor's view of a region: what nobody took, what is overdue, and assigning it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict
from kamkor_common.pagination import PageParams
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals import service as referral_service
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.schemas import ReferralList, ReferralRead
from kamkor_referral.referrals.service import ReferralNotFound
from kamkor_referral.referrals.states import AttemptOutcome, ReferralStatus
from kamkor_referral.supervision.schemas import (
    EscalationKind,
    EscalationList,
    EscalationRead,
    ReferralAssign,
)


class NotAssignable(Conflict):
    code = "not_assignable"
    title = "Only an unassigned referral, or one whose partner's answer is overdue, is assigned"


async def unassigned_queue(
    *, session: AsyncSession, principal: Principal, page: PageParams
) -> ReferralList:
    """The region's unassigned referrals, most urgent and longest waiting first."""
    rows, total = await repository.escalations(
        session,
        scope=principal.place_scope(),
        now=utcnow(),
        unassigned_only=True,
        limit=page.limit,
        offset=page.offset,
    )
    items = await referral_service.read(session, [referral for referral, _ in rows])
    return ReferralList(items=items, total=total, limit=page.limit, offset=page.offset)


def _since(referral: Referral, attempt: RoutingAttempt | None) -> datetime:
    if referral.status == ReferralStatus.REQUESTED and attempt is not None:
        return attempt.response_due_at
    for step in reversed(referral.history):
        if step.get("status") == ReferralStatus.UNASSIGNED:
            return datetime.fromisoformat(step["at"])
    return referral.updated_at


async def escalations(
    *, session: AsyncSession, principal: Principal, page: PageParams
) -> EscalationList:
    """Everything in the region that needs a supervisor: unassigned, or answer overdue."""
    rows, total = await repository.escalations(
        session, scope=principal.place_scope(), now=utcnow(), limit=page.limit, offset=page.offset
    )
    return EscalationList(
        items=[
            EscalationRead(
                referral_id=referral.id,
                household_id=referral.household_id,
                service_type=referral.service_type,
                priority=referral.priority,
                status=ReferralStatus(referral.status),
                region=referral.region,
                district=referral.district,
                kind=(
                    EscalationKind.UNASSIGNED
                    if referral.status == ReferralStatus.UNASSIGNED
                    else EscalationKind.DEADLINE_PASSED
                ),
                since=_since(referral, attempt),
                organization_id=referral.organization_id,
                service_id=referral.service_id,
            )
            for referral, attempt in rows
        ],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def assign(
    *,
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
    assign_in: ReferralAssign,
    settings: ReferralSettings,
    mapping: NeedsMapping,
) -> ReferralRead:
    """Address the referral to the service the supervisor chose, as a new attempt."""
    referral = await repository.get(session, referral_id, for_update=True)
    if referral is None or not principal.place_scope().allows(referral.region, referral.district):
        raise ReferralNotFound(f"no referral {referral_id}")
    now = utcnow()
    if referral.status == ReferralStatus.REQUESTED:
        attempt = await repository.current_attempt(session, referral)
        if attempt is None or attempt.response_due_at > now:
            raise NotAssignable(
                "the partner's answer is not due yet"
                + (f" (due {journal.when(attempt.response_due_at)})" if attempt else "")
            )
        attempt.outcome = AttemptOutcome.SUPERSEDED
        attempt.reason = f"assigned elsewhere by a supervisor: {assign_in.reason}"[:2000]
        attempt.decided_at = now
        placement_service.release_bed(session, referral, reason=events.RELEASE_DEADLINE_MISSED)
    elif referral.status != ReferralStatus.UNASSIGNED:
        raise NotAssignable(f"the referral is {referral.status}")
    journal.note(referral, f"assigned by a {principal.role}: {assign_in.reason}")
    await placement_service.route(
        session,
        referral,
        because=events.ASSIGNED_BY_SUPERVISOR,
        cause=None,
        mapping=mapping,
        settings=settings,
        now=now,
        only_service_id=assign_in.service_id,
        by=principal,
        note=assign_in.reason,
    )
    return (await referral_service.read(session, [referral]))[0]
