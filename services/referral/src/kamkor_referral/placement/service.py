"""Routing a referral: the best eligible partner as a new attempt, or the supervisors."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import metrics
from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import REFERRAL_ESCALATED, REFERRAL_ROUTED
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs import service as needs_service
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.states import (
    LIVE_HOLD,
    AttemptOutcome,
    HoldStatus,
    ReferralStatus,
)
from kamkor_referral.routing import service as routing_service
from kamkor_referral.routing.schemas import RoutingRequest


class ServiceNotEligible(Conflict):
    code = "service_not_eligible"
    title = "The chosen service cannot take this referral"


async def route(
    session: AsyncSession,
    referral: Referral,
    *,
    because: str,
    cause: CloudEvent | None,
    mapping: NeedsMapping,
    settings: ReferralSettings,
    escalate_again: bool = True,
    escalation: str = events.NO_ELIGIBLE_PARTNER,
    now: datetime | None = None,
    only_service_id: str | None = None,
    by: Principal | None = None,
    note: str | None = None,
) -> None:
    """Address the referral to the best eligible partner as a new attempt, or escalate.

    `because` is the code the routed event carries, `escalation` the code of the escalated
    one. A referral that was unassigned already is escalated again only when
    `escalate_again` says so. The new attempt's deadline runs from `now`.

    With `only_service_id` (a supervisor's choice, `by`, with the `note` why) only that
    service is considered, tried before or not; if it cannot take the referral, nothing
    changes and ServiceNotEligible says why.
    """
    now = now or utcnow()
    was_unassigned = referral.status == ReferralStatus.UNASSIGNED
    attempts = (
        (await repository.attempts_of(session, [referral.id])).get(referral.id, [])
        if referral.attempts_count
        else []  # a new referral has none: spare the query
    )
    category = needs_service.shelter_category(service_type=referral.service_type, mapping=mapping)
    request = RoutingRequest(
        service_type=referral.service_type,
        region=referral.region,
        district=referral.district,
        language=referral.language,
        referral_id=referral.id,
        children_ages=tuple(referral.children_ages),
        member_sexes=None if referral.member_sexes is None else frozenset(referral.member_sexes),
        shelter_category=category,
        # A shelter that refused the bed is out; its organisation may still have another.
        tried_service_ids=frozenset(
            a.service_id
            for a in attempts
            if a.outcome != AttemptOutcome.HOLD_REJECTED and a.service_id != only_service_id
        ),
        excluded_shelter_ids=frozenset(
            a.shelter_id
            for a in attempts
            if a.outcome == AttemptOutcome.HOLD_REJECTED and a.shelter_id
        ),
        only_service_id=only_service_id,
    )
    decision = await routing_service.plan(
        session=session, request=request, hold_answer_ttl=settings.hold_answer_ttl, now=now
    )
    choice = decision.choice
    if choice is None and only_service_id is not None:
        raise ServiceNotEligible(
            decision.summary, service_id=only_service_id, reasons=list(decision.reasons)
        )
    journal.note(referral, *decision.reasons)
    if choice is None:
        journal.move(referral, ReferralStatus.UNASSIGNED, reason=escalation, at=now)
        referral.organization_id = referral.service_id = referral.shelter_id = None
        if escalate_again or not was_unassigned:
            events.publish_changed(
                session,
                referral,
                spec=REFERRAL_ESCALATED,
                cause=cause,
                reason=escalation,
            )
        await session.flush()
        return

    shelter_id = choice.shelter.shelter_id if choice.shelter is not None else None
    referral.attempts_count += 1
    response_due_at, remind_at = deadline(
        made_at=now, priority=referral.priority, settings=settings
    )
    await repository.add(
        session,
        RoutingAttempt(
            referral_id=referral.id,
            number=referral.attempts_count,
            organization_id=choice.candidate.organization_id,
            service_id=choice.candidate.service_id,
            shelter_id=shelter_id,
            reason=decision.summary[:2000],
            created_at=now,
            response_due_at=response_due_at,
            remind_at=remind_at,
        ),
    )
    journal.move(referral, ReferralStatus.REQUESTED, by=by, reason=note or because, at=now)
    referral.organization_id = choice.candidate.organization_id
    referral.service_id = choice.candidate.service_id
    referral.shelter_id = shelter_id
    events.publish_changed(session, referral, spec=REFERRAL_ROUTED, cause=cause, reason=because)
    if shelter_id is not None and category is not None:
        ask_for_bed(
            session, referral, shelter_id=shelter_id, category=category, cause=cause, now=now
        )
    await session.flush()


def deadline(
    *, made_at: datetime, priority: str, settings: ReferralSettings
) -> tuple[datetime, datetime]:
    """When the partner's answer to an attempt made then is due, and when to remind it."""
    window = settings.response_due_after(priority)
    return made_at + window, made_at + window / 2


def record_partner_response(attempt: RoutingAttempt, *, outcome: str, at: datetime) -> None:
    """How long the partner took to answer the attempt (or let its deadline pass)."""
    metrics.partner_response.record(
        max((at - attempt.created_at).total_seconds(), 0.0), {"outcome": str(outcome)}
    )


async def move_on(
    session: AsyncSession,
    referral: Referral,
    *,
    attempt: RoutingAttempt | None,
    outcome: AttemptOutcome,
    attempt_reason: str,
    because: str,
    release_reason: str,
    settings: ReferralSettings,
    mapping: NeedsMapping,
    now: datetime,
    escalation: str = events.NO_ELIGIBLE_PARTNER,
) -> None:
    """Close the current attempt, give back the bed it holds, and route to the next partner.

    The partner of the closed attempt counts as tried; with nobody left it is escalated.
    """
    if attempt is not None:
        attempt.outcome = outcome
        attempt.reason = attempt_reason[:2000]
        attempt.decided_at = now
        if outcome in (AttemptOutcome.REJECTED, AttemptOutcome.EXPIRED):
            record_partner_response(attempt, outcome=outcome, at=now)
    release_bed(session, referral, reason=release_reason)
    await route(
        session,
        referral,
        because=because,
        cause=None,
        mapping=mapping,
        settings=settings,
        escalation=escalation,
        now=now,
    )


def ask_for_bed(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    category: str,
    cause: CloudEvent | None,
    now: datetime | None = None,
) -> None:
    """Ask the shelter for a bed; until it answers, the bed counts as taken in routing."""
    referral.hold_status = HoldStatus.REQUESTED
    referral.hold_category = category
    referral.hold_requested_at = now or utcnow()
    events.publish_bed_hold_requested(
        session, referral, shelter_id=shelter_id, category=category, cause=cause
    )


def release_bed(
    session: AsyncSession, referral: Referral, *, reason: str, cause: CloudEvent | None = None
) -> bool:
    """Ask the shelter to let go of a bed the referral holds or asked for; True if it did.

    `reason` is one of the events.RELEASE_* codes.
    """
    if referral.shelter_id is None or referral.hold_status not in LIVE_HOLD:
        return False
    events.publish_bed_hold_release_requested(
        session, referral, shelter_id=referral.shelter_id, reason=reason, cause=cause
    )
    referral.hold_status = HoldStatus.RELEASED
    journal.note(referral, f"bed hold at shelter {referral.shelter_id} to be released")
    return True
