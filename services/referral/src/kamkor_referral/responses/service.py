"""Partners' answers: the referrals addressed to them, accepted or rejected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, Forbidden
from kamkor_common.events.schemas.referral import REFERRAL_ACCEPTED, REFERRAL_REJECTED
from kamkor_common.pagination import PageParams
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals import service as referral_service
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.schemas import (
    PartnerReferralList,
    PartnerReferralRead,
    ReferralReject,
)
from kamkor_referral.referrals.service import ReferralNotFound
from kamkor_referral.referrals.states import (
    AttemptOutcome,
    HoldStatus,
    ReferralStatus,
    check_move,
)


class HoldPending(Conflict):
    code = "hold_pending"
    title = "The shelter has not confirmed the bed yet"


async def partner_list(
    *,
    session: AsyncSession,
    principal: Principal,
    status: str | None,
    changed_since: datetime | None,
    page: PageParams,
) -> PartnerReferralList:
    """Every referral the partner's organisation was asked to take, as it sees it now."""
    rows, total = await repository.partner_attempts(
        session,
        organization_id=_organization_of(principal),
        status=status,
        changed_since=changed_since,
        limit=page.limit,
        offset=page.offset,
    )
    return PartnerReferralList(
        items=[partner_read(*row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def partner_get(
    *,
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
) -> PartnerReferralRead:
    """One referral the partner's organisation was asked to take."""
    rows, _ = await repository.partner_attempts(
        session,
        organization_id=_organization_of(principal),
        referral_id=referral_id,
        limit=1,
        offset=0,
    )
    if not rows:
        raise ReferralNotFound(f"no referral {referral_id} for this organisation")
    return partner_read(*rows[0])


async def accept(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> PartnerReferralRead:
    """The partner takes the referral on; a shelter referral only once its bed is held."""
    referral = await partners_referral(session, principal, referral_id, for_update=True)
    check_move(referral, ReferralStatus.ACCEPTED)
    if referral.shelter_id is not None and referral.hold_status != HoldStatus.HELD:
        raise HoldPending(
            f"shelter {referral.shelter_id} has not held a bed for this referral "
            f"(hold {referral.hold_status}); accept once it has"
        )
    attempt = await repository.current_attempt(session, referral)
    if attempt is not None:
        attempt.outcome = AttemptOutcome.ACCEPTED
        attempt.decided_at = utcnow()
        placement_service.record_partner_response(
            attempt, outcome=AttemptOutcome.ACCEPTED, at=attempt.decided_at
        )
    journal.move(referral, ReferralStatus.ACCEPTED, by=principal)
    partner = await referral_service.organization_name(session, referral)
    journal.note(referral, f"accepted by {partner}")
    events.publish_changed(session, referral, spec=REFERRAL_ACCEPTED, cause=None)
    await session.flush()
    if attempt is None:
        raise ReferralNotFound(f"no referral {referral.id} for this organisation")
    return partner_read(referral, attempt, referral.status, referral.updated_at)


async def reject(
    *,
    session: AsyncSession,
    principal: Principal,
    referral_id: str,
    reject_in: ReferralReject,
    settings: ReferralSettings,
    mapping: NeedsMapping,
) -> PartnerReferralRead:
    """The partner declines: the bed goes back and the referral moves on to the next partner."""
    referral = await partners_referral(session, principal, referral_id, for_update=True)
    journal.move(referral, ReferralStatus.REJECTED, by=principal, reason=reject_in.reason)
    attempt = await repository.current_attempt(session, referral)
    partner = await referral_service.organization_name(session, referral)
    journal.note(referral, f"rejected by {partner}: {reject_in.reason}")
    events.publish_changed(
        session, referral, spec=REFERRAL_REJECTED, cause=None, reason=events.REJECTED_BY_PARTNER
    )
    if attempt is None:
        raise ReferralNotFound(f"no referral {referral.id} for this organisation")
    # What the partner sees from now on: the referral it declined.
    answered = partner_read(referral, attempt, referral.status, referral.updated_at)
    await placement_service.move_on(
        session,
        referral,
        attempt=attempt,
        outcome=AttemptOutcome.REJECTED,
        attempt_reason=reject_in.reason,
        because=events.REJECTED_BY_PARTNER,
        release_reason=events.RELEASE_REFERRAL_REJECTED,
        settings=settings,
        mapping=mapping,
        now=utcnow(),
    )
    return answered


def _organization_of(principal: Principal) -> str:
    if principal.organization_id is None:
        raise Forbidden("a partner token must name its organisation")
    return principal.organization_id


async def partners_referral(
    session: AsyncSession, principal: Principal, referral_id: str, *, for_update: bool = False
) -> Referral:
    """The referral, if it is addressed to the partner now; otherwise it does not exist."""
    organization_id = _organization_of(principal)
    referral = await repository.get(session, referral_id, for_update=for_update)
    if referral is None or referral.organization_id != organization_id:
        raise ReferralNotFound(f"no referral {referral_id} for this organisation")
    return referral


def partner_read(
    referral: Referral, attempt: RoutingAttempt, status: str, changed_at: datetime
) -> PartnerReferralRead:
    """The partner's summary: the need and the household's make-up, never a name."""
    return PartnerReferralRead(
        id=referral.id,
        service_type=referral.service_type,
        priority=referral.priority,
        status=ReferralStatus(status),
        region=referral.region,
        district=referral.district,
        language=referral.language,
        children_ages=referral.children_ages,
        shelter_id=referral.shelter_id,
        created_at=referral.created_at,
        response_due_at=attempt.response_due_at,
        attempt_outcome=AttemptOutcome(attempt.outcome),
        changed_at=changed_at,
    )


async def partner_view(session: AsyncSession, referral: Referral) -> PartnerReferralRead:
    """The partner's view of a referral it has just changed."""
    attempt = await repository.current_attempt(session, referral)
    if attempt is None:
        raise ReferralNotFound(f"no referral {referral.id} for this organisation")
    return partner_read(referral, attempt, referral.status, referral.updated_at)
