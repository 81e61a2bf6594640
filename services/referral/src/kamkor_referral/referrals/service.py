"""Referrals: opened from flags, routed to partners, answered by partners and shelters."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import PlaceScope, Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, Forbidden, NotFound
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import (
    REFERRAL_ACCEPTED,
    REFERRAL_CREATED,
    REFERRAL_ESCALATED,
    REFERRAL_REJECTED,
    REFERRAL_ROUTED,
)
from kamkor_common.events.schemas.risk import FamilyFlagged
from kamkor_common.events.schemas.shelter import (
    HoldConfirmed,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
)
from kamkor_common.pagination import PageParams
from kamkor_referral.config import ReferralSettings
from kamkor_referral.directory import repository as directory_repository
from kamkor_referral.needs import service as needs_service
from kamkor_referral.needs.schemas import PRIORITY_RANK, Need, NeedsMapping
from kamkor_referral.referrals import events, repository
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.schemas import (
    AttemptRead,
    DeadlineRun,
    PartnerRef,
    PartnerReferralList,
    PartnerReferralRead,
    ReferralList,
    ReferralRead,
    ReferralReject,
)
from kamkor_referral.routing import service as routing_service
from kamkor_referral.routing.schemas import RoutingRequest

log = logging.getLogger("kamkor.referral.referrals")

# A hold in these states occupies (or may soon occupy) a bed that must be given back.
LIVE_HOLD = ("requested", "held")


class ReferralNotFound(NotFound):
    code = "referral_not_found"
    title = "Referral not found"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The referral cannot make this change in its current state"


class HoldPending(Conflict):
    code = "hold_pending"
    title = "The shelter has not confirmed the bed yet"


# --- from flags ---------------------------------------------------------------------------


async def open_from_flag(
    *,
    session: AsyncSession,
    flagged: FamilyFlagged,
    cause: CloudEvent,
    mapping: NeedsMapping,
    settings: ReferralSettings,
) -> list[Referral]:
    """One active referral per needed service type: open and route it, or raise its priority.

    An unassigned referral flagged again is routed again: a partner may take it now.
    """
    touched: list[Referral] = []
    for need in needs_service.needs_for(flagged=flagged, mapping=mapping):
        referral = await repository.get_active_for_need(
            session, household_id=flagged.household_id, service_type=need.service_type
        )
        if referral is None:
            referral = await _create(session, flagged=flagged, need=need, cause=cause)
            await _route(
                session,
                referral,
                because=events.NEW_REFERRAL,
                cause=cause,
                mapping=mapping,
                settings=settings,
            )
        else:
            raised = _raise_priority(referral, need)
            if raised and referral.status == "requested":
                await _shorten_deadline(session, referral, settings=settings)
            if referral.status == "unassigned":
                # Supervisors were alerted when nobody could take it; alert them again
                # only if it has become more urgent.
                await _route(
                    session,
                    referral,
                    because=events.FLAGGED_AGAIN,
                    cause=cause,
                    mapping=mapping,
                    settings=settings,
                    escalate_again=raised,
                )
        touched.append(referral)
    return touched


async def _create(
    session: AsyncSession, *, flagged: FamilyFlagged, need: Need, cause: CloudEvent
) -> Referral:
    referral = Referral(
        household_id=flagged.household_id,
        service_type=need.service_type,
        priority=need.priority,
        status="draft",
        region=flagged.region,
        district=flagged.district,
        language=flagged.language,
        children_ages=list(flagged.children_ages),
        member_sexes=None if flagged.member_sexes is None else list(flagged.member_sexes),
        source_flag_ids=list(need.flag_ids),
        reasons=list(need.reasons),
    )
    await repository.add(session, referral)
    events.publish_changed(session, referral, type=REFERRAL_CREATED, cause=cause)
    return referral


def _raise_priority(referral: Referral, need: Need) -> bool:
    """A later flag for the same need: never a second referral, never a lower priority.

    The change is recorded in the referral's reasons; it publishes no event of its own.
    True when the priority went up.
    """
    notes = [f"flagged again: {reason}" for reason in need.reasons]
    raised = PRIORITY_RANK[need.priority] > PRIORITY_RANK[referral.priority]
    if raised:
        notes.append(f"priority raised from {referral.priority} to {need.priority}")
        referral.priority = need.priority
    referral.source_flag_ids = [
        *referral.source_flag_ids,
        *(f for f in need.flag_ids if f not in referral.source_flag_ids),
    ]
    _note(referral, *notes)
    return raised


async def _shorten_deadline(
    session: AsyncSession, referral: Referral, *, settings: ReferralSettings
) -> None:
    """A higher priority gives the partner that has the referral less time to answer."""
    attempt = await repository.current_attempt(session, referral)
    if attempt is None:
        return
    attempt.response_due_at, attempt.remind_at = _deadline(
        made_at=attempt.created_at, priority=referral.priority, settings=settings
    )
    _note(referral, f"response now due at {_when(attempt.response_due_at)}")


# --- routing ------------------------------------------------------------------------------


async def _route(
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
) -> None:
    """Address the referral to the best eligible partner as a new attempt, or escalate.

    `because` is the code the routed event carries, `escalation` the code of the escalated
    one. A referral that was unassigned already is escalated again only when
    `escalate_again` says so. The new attempt's deadline runs from `now`.
    """
    now = now or utcnow()
    was_unassigned = referral.status == "unassigned"
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
        tried_service_ids=frozenset(a.service_id for a in attempts if a.outcome != "hold_rejected"),
        excluded_shelter_ids=frozenset(
            a.shelter_id for a in attempts if a.outcome == "hold_rejected" and a.shelter_id
        ),
    )
    decision = await routing_service.plan(
        session=session, request=request, hold_answer_ttl=settings.hold_answer_ttl, now=now
    )
    _note(referral, *decision.reasons)
    choice = decision.choice
    if choice is None:
        referral.status = "unassigned"
        referral.organization_id = referral.service_id = referral.shelter_id = None
        if escalate_again or not was_unassigned:
            events.publish_changed(
                session,
                referral,
                type=REFERRAL_ESCALATED,
                cause=cause,
                reason=escalation,
            )
        await session.flush()
        return

    shelter_id = choice.shelter.shelter_id if choice.shelter is not None else None
    referral.attempts_count += 1
    response_due_at, remind_at = _deadline(
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
    referral.status = "requested"
    referral.organization_id = choice.candidate.organization_id
    referral.service_id = choice.candidate.service_id
    referral.shelter_id = shelter_id
    events.publish_changed(session, referral, type=REFERRAL_ROUTED, cause=cause, reason=because)
    if shelter_id is not None and category is not None:
        _ask_for_bed(
            session, referral, shelter_id=shelter_id, category=category, cause=cause, now=now
        )
    await session.flush()


def _deadline(
    *, made_at: datetime, priority: str, settings: ReferralSettings
) -> tuple[datetime, datetime]:
    """When the partner's answer to an attempt made then is due, and when to remind it."""
    window = settings.response_due_after(priority)
    return made_at + window, made_at + window / 2


async def _move_on(
    session: AsyncSession,
    referral: Referral,
    *,
    attempt: RoutingAttempt | None,
    outcome: str,
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
    if referral.shelter_id is not None and referral.hold_status in LIVE_HOLD:
        events.publish_bed_hold_release_requested(
            session, referral, shelter_id=referral.shelter_id, reason=release_reason, cause=None
        )
        referral.hold_status = "released"
        _note(referral, f"bed hold at shelter {referral.shelter_id} to be released")
    await _route(
        session,
        referral,
        because=because,
        cause=None,
        mapping=mapping,
        settings=settings,
        escalation=escalation,
        now=now,
    )


def _ask_for_bed(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    category: str,
    cause: CloudEvent | None,
    now: datetime | None = None,
) -> None:
    """Ask the shelter for a bed; until it answers, the bed counts as taken in routing."""
    referral.hold_status = "requested"
    referral.hold_category = category
    referral.hold_requested_at = now or utcnow()
    events.publish_bed_hold_requested(
        session, referral, shelter_id=shelter_id, category=category, cause=cause
    )


# --- answers from shelters ----------------------------------------------------------------


async def record_hold_placed(*, session: AsyncSession, placed: HoldPlaced) -> None:
    """The shelter holds the bed the referral asked for."""
    referral = await repository.get(session, placed.referral_id, for_update=True)
    if referral is None or referral.shelter_id != placed.shelter_id:
        # Our earlier release request for that shelter follows on the same key.
        log.info(
            "hold %s for referral %s is not current; ignored", placed.hold_id, placed.referral_id
        )
        return
    if referral.hold_status != "requested":
        log.info("hold %s arrived while the hold is %s", placed.hold_id, referral.hold_status)
        return
    referral.hold_status = "held"
    _note(
        referral,
        f"bed hold {placed.hold_id} placed at shelter {placed.shelter_id} ({placed.category}) "
        f"until {placed.expires_at:%Y-%m-%d %H:%M} UTC",
    )


async def record_hold_confirmed(*, session: AsyncSession, confirmed: HoldConfirmed) -> None:
    """The family arrived at the shelter: the held bed is occupied now."""
    referral = await repository.get(session, confirmed.referral_id, for_update=True)
    if referral is None or referral.shelter_id != confirmed.shelter_id:
        log.info(
            "arrival for referral %s at shelter %s is not current; ignored",
            confirmed.referral_id,
            confirmed.shelter_id,
        )
        return
    referral.hold_status = "confirmed"
    _note(
        referral,
        f"family arrived at shelter {confirmed.shelter_id}: bed hold {confirmed.hold_id} "
        f"confirmed ({confirmed.beds} {confirmed.category} bed(s))",
    )


async def record_hold_rejected(
    *,
    session: AsyncSession,
    rejected: HoldRejected,
    cause: CloudEvent,
    mapping: NeedsMapping,
    settings: ReferralSettings,
) -> None:
    """The shelter cannot hold a bed: try the next shelter or partner as a new attempt.

    Only an answer to the bed the referral is waiting for counts: once the partner has
    accepted, or the referral has moved to another shelter, a rejection is stale.
    """
    referral = await repository.get(session, rejected.referral_id, for_update=True)
    if (
        referral is None
        or referral.status != "requested"
        or referral.shelter_id != rejected.shelter_id
        or referral.hold_status != "requested"
    ):
        log.info("hold rejection for referral %s is not current; ignored", rejected.referral_id)
        return
    attempt = await repository.current_attempt(session, referral)
    if attempt is not None:
        attempt.outcome = "hold_rejected"
        attempt.reason = f"shelter {rejected.shelter_id} could not hold a bed: {rejected.reason}"
        attempt.decided_at = utcnow()
    referral.hold_status = "rejected"
    _note(
        referral,
        f"shelter {rejected.shelter_id} could not hold a {rejected.category} bed: "
        f"{rejected.reason}",
    )
    await _route(
        session,
        referral,
        because=events.hold_rejected(rejected.reason),
        cause=cause,
        mapping=mapping,
        settings=settings,
    )


async def record_hold_released(
    *,
    session: AsyncSession,
    released: HoldReleased,
    cause: CloudEvent,
    mapping: NeedsMapping,
) -> None:
    """The shelter let the held bed go (expired or released).

    While the partner has not answered yet, the family still needs that bed: the same
    shelter is asked again (a rejection then moves the referral on, as for a first request).
    """
    referral = await repository.get(session, released.referral_id, for_update=True)
    if (
        referral is None
        or referral.shelter_id != released.shelter_id
        or referral.hold_status != "held"
    ):
        log.info("hold %s release for referral %s ignored", released.hold_id, released.referral_id)
        return
    referral.hold_status = "released"
    _note(
        referral,
        f"bed hold {released.hold_id} at shelter {released.shelter_id} released: {released.reason}",
    )
    category = referral.hold_category or needs_service.shelter_category(
        service_type=referral.service_type, mapping=mapping
    )
    if referral.status == "requested" and category is not None:
        _ask_for_bed(
            session, referral, shelter_id=released.shelter_id, category=category, cause=cause
        )
        _note(referral, f"bed asked for again at shelter {released.shelter_id}")
    await session.flush()


# --- staff --------------------------------------------------------------------------------


async def list_referrals(
    *,
    session: AsyncSession,
    principal: Principal,
    household_id: str | None,
    status: str | None,
    service_type: str | None,
    page: PageParams,
) -> ReferralList:
    """Referrals of the places the principal may see, newest first."""
    referrals, total = await repository.list_referrals(
        session,
        household_id=household_id,
        status=status,
        service_type=service_type,
        scope=principal.place_scope(),
        limit=page.limit,
        offset=page.offset,
    )
    return ReferralList(
        items=await _read(session, referrals), total=total, limit=page.limit, offset=page.offset
    )


async def get_referral(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> ReferralRead:
    """One referral with its attempts and reasons; outside the principal's reach it is absent."""
    scope: PlaceScope = principal.place_scope()
    referral = await repository.get(session, referral_id)
    if referral is None or not scope.allows(referral.region, referral.district):
        raise ReferralNotFound(f"no referral {referral_id}")
    return (await _read(session, [referral]))[0]


async def _read(session: AsyncSession, referrals: Sequence[Referral]) -> list[ReferralRead]:
    attempts = await repository.attempts_of(session, [r.id for r in referrals])
    organizations, services = await directory_repository.names(
        session,
        organization_ids=[r.organization_id for r in referrals if r.organization_id],
        service_ids=[r.service_id for r in referrals if r.service_id],
    )
    return [
        ReferralRead(
            id=referral.id,
            household_id=referral.household_id,
            service_type=referral.service_type,
            priority=referral.priority,
            status=referral.status,
            region=referral.region,
            district=referral.district,
            language=referral.language,
            children_ages=referral.children_ages,
            source_flag_ids=referral.source_flag_ids,
            partner=(
                PartnerRef(
                    organization_id=referral.organization_id,
                    service_id=referral.service_id,
                    name=organizations.get(referral.organization_id, referral.organization_id),
                    service_name=services.get(referral.service_id),
                )
                if referral.organization_id is not None and referral.service_id is not None
                else None
            ),
            shelter_id=referral.shelter_id,
            hold_status=referral.hold_status,
            attempts=[
                AttemptRead(
                    number=a.number,
                    organization_id=a.organization_id,
                    service_id=a.service_id,
                    shelter_id=a.shelter_id,
                    outcome=a.outcome,
                    reason=a.reason,
                    created_at=a.created_at,
                    response_due_at=a.response_due_at,
                    reminded_at=a.reminded_at,
                    decided_at=a.decided_at,
                )
                for a in attempts.get(referral.id, [])
            ],
            reasons=referral.reasons,
            created_at=referral.created_at,
            updated_at=referral.updated_at,
        )
        for referral in referrals
    ]


# --- response deadlines -------------------------------------------------------------------


async def handle_due_responses(
    *,
    session: AsyncSession,
    now: datetime,
    settings: ReferralSettings,
    mapping: NeedsMapping,
) -> DeadlineRun:
    """Handle the partners' answers that are due, one bounded batch, soonest due first.

    A missed deadline moves the referral on as a rejection would; a partner past half its
    time is reminded, once per attempt. The handled referrals stay locked until the
    caller's transaction ends, and other workers skip them meanwhile.
    """
    run = DeadlineRun()
    due = await repository.due_for_answer(session, now=now, limit=settings.DEADLINE_BATCH_SIZE)
    for referral, attempt in due:
        if attempt.response_due_at <= now:
            await _expire(session, referral, attempt, now=now, settings=settings, mapping=mapping)
            run.expired.append(referral.id)
        else:
            await _remind(session, referral, attempt, now=now)
            run.reminded.append(referral.id)
    await session.flush()
    if due:
        log.info("response deadlines: %d missed, %d reminded", len(run.expired), len(run.reminded))
    return run


async def _expire(
    session: AsyncSession,
    referral: Referral,
    attempt: RoutingAttempt,
    *,
    now: datetime,
    settings: ReferralSettings,
    mapping: NeedsMapping,
) -> None:
    due = _when(attempt.response_due_at)
    _note(
        referral,
        f"no answer from {await _organization_name(session, referral)} by {due}: deadline missed",
    )
    await _move_on(
        session,
        referral,
        attempt=attempt,
        outcome="expired",
        attempt_reason=f"{events.DEADLINE_MISSED}: no answer by {due}",
        because=events.DEADLINE_MISSED,
        release_reason=events.RELEASE_DEADLINE_MISSED,
        escalation=events.DEADLINE_MISSED,
        settings=settings,
        mapping=mapping,
        now=now,
    )


async def _remind(
    session: AsyncSession, referral: Referral, attempt: RoutingAttempt, *, now: datetime
) -> None:
    # Recorded here; sending it to the partner's webhook comes with the webhooks.
    attempt.reminded_at = now
    _note(
        referral,
        f"reminder: response due at {_when(attempt.response_due_at)} "
        f"({await _organization_name(session, referral)})",
    )


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC"


# --- partners -----------------------------------------------------------------------------


async def partner_list(
    *,
    session: AsyncSession,
    principal: Principal,
    status: str | None,
    page: PageParams,
) -> PartnerReferralList:
    """The referrals addressed to the partner's organisation now, newest first."""
    referrals, total = await repository.list_referrals(
        session,
        organization_id=_organization_of(principal),
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    current = await repository.current_attempts(session, [r.id for r in referrals])
    return PartnerReferralList(
        items=[_partner_read(r, current.get(r.id)) for r in referrals],
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
    """One referral addressed to the partner's organisation."""
    referral = await _partners_referral(session, principal, referral_id)
    attempt = await repository.current_attempt(session, referral)
    return _partner_read(referral, attempt)


async def accept(
    *, session: AsyncSession, principal: Principal, referral_id: str
) -> PartnerReferralRead:
    """The partner takes the referral on; a shelter referral only once its bed is held."""
    referral = await _partners_referral(session, principal, referral_id, for_update=True)
    if referral.status != "requested":
        raise InvalidTransition(f"a referral in status {referral.status} cannot be accepted")
    if referral.shelter_id is not None and referral.hold_status != "held":
        raise HoldPending(
            f"shelter {referral.shelter_id} has not held a bed for this referral "
            f"(hold {referral.hold_status}); accept once it has"
        )
    attempt = await repository.current_attempt(session, referral)
    if attempt is not None:
        attempt.outcome = "accepted"
        attempt.decided_at = utcnow()
    referral.status = "accepted"
    _note(referral, f"accepted by {await _organization_name(session, referral)}")
    events.publish_changed(session, referral, type=REFERRAL_ACCEPTED, cause=None)
    await session.flush()
    return _partner_read(referral, attempt)


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
    referral = await _partners_referral(session, principal, referral_id, for_update=True)
    if referral.status != "requested":
        raise InvalidTransition(f"a referral in status {referral.status} cannot be rejected")
    attempt = await repository.current_attempt(session, referral)
    referral.status = "rejected"
    _note(
        referral, f"rejected by {await _organization_name(session, referral)}: {reject_in.reason}"
    )
    events.publish_changed(
        session, referral, type=REFERRAL_REJECTED, cause=None, reason=events.REJECTED_BY_PARTNER
    )
    answered = _partner_read(referral, attempt)
    await _move_on(
        session,
        referral,
        attempt=attempt,
        outcome="rejected",
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


async def _partners_referral(
    session: AsyncSession, principal: Principal, referral_id: str, *, for_update: bool = False
) -> Referral:
    """The referral, if it is addressed to the partner now; otherwise it does not exist."""
    organization_id = _organization_of(principal)
    referral = await repository.get(session, referral_id, for_update=for_update)
    if referral is None or referral.organization_id != organization_id:
        raise ReferralNotFound(f"no referral {referral_id} for this organisation")
    return referral


async def _organization_name(session: AsyncSession, referral: Referral) -> str:
    if referral.organization_id is None:
        return "nobody"
    organizations, _ = await directory_repository.names(
        session, organization_ids=[referral.organization_id], service_ids=[]
    )
    return organizations.get(referral.organization_id, referral.organization_id)


def _partner_read(referral: Referral, attempt: RoutingAttempt | None) -> PartnerReferralRead:
    return PartnerReferralRead(
        id=referral.id,
        service_type=referral.service_type,
        priority=referral.priority,
        status=referral.status,
        region=referral.region,
        district=referral.district,
        language=referral.language,
        children_ages=referral.children_ages,
        shelter_id=referral.shelter_id,
        created_at=referral.created_at,
        response_due_at=attempt.response_due_at if attempt is not None else None,
    )


def _note(referral: Referral, *lines: str) -> None:
    """Add to the referral's reasons; a new list, so that the JSON column sees the change."""
    referral.reasons = [*referral.reasons, *lines]
    referral.updated_at = utcnow()
