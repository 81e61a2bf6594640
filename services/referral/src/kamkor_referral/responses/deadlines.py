"""The partners' response deadlines: a reminder at half-time, a move on when missed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.schemas.referral import REFERRAL_REMINDER_DUE
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals import service as referral_service
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.schemas import DeadlineRun
from kamkor_referral.referrals.states import AttemptOutcome

log = logging.getLogger("kamkor.referral.deadlines")


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
    due = journal.when(attempt.response_due_at)
    partner = await referral_service.organization_name(session, referral)
    journal.note(referral, f"no answer from {partner} by {due}: deadline missed")
    await placement_service.move_on(
        session,
        referral,
        attempt=attempt,
        outcome=AttemptOutcome.EXPIRED,
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
    # Published, so that the partner's webhook endpoints are told too.
    attempt.reminded_at = now
    events.publish_deadline(
        session,
        referral,
        spec=REFERRAL_REMINDER_DUE,
        response_due_at=attempt.response_due_at,
    )
    journal.note(
        referral,
        f"reminder: response due at {journal.when(attempt.response_due_at)} "
        f"({await referral_service.organization_name(session, referral)})",
    )
