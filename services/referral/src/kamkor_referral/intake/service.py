"""Referrals opened from flags: one active referral per household and needed service."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import REFERRAL_CREATED, REFERRAL_DEADLINE_MOVED
from kamkor_common.events.schemas.risk import FamilyFlagged, FlagChanged
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs import service as needs_service
from kamkor_referral.needs.schemas import PRIORITY_RANK, Need, NeedsMapping
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.states import ReferralStatus


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
            await placement_service.route(
                session,
                referral,
                because=events.NEW_REFERRAL,
                cause=cause,
                mapping=mapping,
                settings=settings,
            )
        else:
            raised = raise_priority(referral, need)
            if raised and referral.status == ReferralStatus.REQUESTED:
                await shorten_deadline(session, referral, settings=settings)
            if referral.status == ReferralStatus.UNASSIGNED:
                # Supervisors were alerted when nobody could take it; alert them again
                # only if it has become more urgent.
                await placement_service.route(
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
    now = utcnow()
    referral = Referral(
        household_id=flagged.household_id,
        service_type=need.service_type,
        priority=need.priority,
        status=ReferralStatus.DRAFT,
        region=flagged.region,
        district=flagged.district,
        language=flagged.language,
        children_ages=list(flagged.children_ages),
        member_sexes=None if flagged.member_sexes is None else list(flagged.member_sexes),
        source_flag_ids=list(need.flag_ids),
        reasons=list(need.reasons),
        history=[journal.entry(ReferralStatus.DRAFT, at=now)],
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, referral)
    events.publish_changed(session, referral, spec=REFERRAL_CREATED, cause=cause)
    return referral


def raise_priority(referral: Referral, need: Need) -> bool:
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
    journal.note(referral, *notes)
    return raised


async def shorten_deadline(
    session: AsyncSession, referral: Referral, *, settings: ReferralSettings
) -> None:
    """A higher priority gives the partner that has the referral less time to answer."""
    attempt = await repository.current_attempt(session, referral)
    if attempt is None:
        return
    attempt.response_due_at, attempt.remind_at = placement_service.deadline(
        made_at=attempt.created_at, priority=referral.priority, settings=settings
    )
    journal.note(referral, f"response now due at {journal.when(attempt.response_due_at)}")
    events.publish_deadline(
        session,
        referral,
        spec=REFERRAL_DEADLINE_MOVED,
        response_due_at=attempt.response_due_at,
        reason=events.PRIORITY_RAISED,
    )


async def _flag_referrals(session: AsyncSession, flag: FlagChanged) -> list[Referral]:
    """The household's active referrals that the flag opened or raised."""
    return [
        referral
        for referral in await repository.active_of_household(session, flag.household_id)
        if flag.flag_id in referral.source_flag_ids
    ]


async def record_flag_updated(
    *,
    session: AsyncSession,
    flag: FlagChanged,
    mapping: NeedsMapping,
    settings: ReferralSettings,
) -> list[Referral]:
    """A flag's severity rose: its open referrals take the priority it now maps to."""
    priority = mapping.severity_priority.get(flag.severity)
    if priority is None:
        return []
    raised: list[Referral] = []
    for referral in await _flag_referrals(session, flag):
        if PRIORITY_RANK[priority] <= PRIORITY_RANK[referral.priority]:
            continue
        need = Need(
            service_type=referral.service_type,
            priority=priority,
            flag_ids=[flag.flag_id],
            reasons=[
                f"flag {flag.flag_id} ({flag.domain}) now {flag.severity}, "
                f"screening {flag.screening_id}"
            ],
        )
        raise_priority(referral, need)
        if referral.status == ReferralStatus.REQUESTED:
            await shorten_deadline(session, referral, settings=settings)
        raised.append(referral)
    await session.flush()
    return raised


async def record_flag_resolved(*, session: AsyncSession, flag: FlagChanged) -> list[Referral]:
    """A flag closed: its open referrals say so; the partner's work goes on."""
    noted = await _flag_referrals(session, flag)
    for referral in noted:
        journal.note(
            referral,
            f"flag {flag.flag_id} ({flag.domain}) resolved by screening {flag.screening_id}",
        )
    await session.flush()
    return noted
