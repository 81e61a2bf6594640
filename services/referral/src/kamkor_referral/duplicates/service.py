"""A household the registry merged into another: its referrals and consents follow."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.schemas.registry import HouseholdMerged
from kamkor_referral.duplicates import repository as duplicates_repository
from kamkor_referral.placement import service as placement_service
from kamkor_referral.referrals import events, journal, repository
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.states import AttemptOutcome, ReferralStatus


async def follow_merge(
    *, session: AsyncSession, merged: HouseholdMerged, cause: CloudEvent | None = None
) -> None:
    """Referrals and consents of the merged household move to the kept one.

    An active referral of the merged household for a need the kept household already has an
    active referral for is cancelled with reason `duplicate_household` (the kept household's
    goes on); a bed it holds goes back. Running it again changes nothing.
    """
    from_id, to_id = merged.merged_household_id, merged.household_id
    for referral in await repository.active_of_household(session, from_id):
        existing = await repository.get_active_for_need(
            session, household_id=to_id, service_type=referral.service_type
        )
        if existing is not None:
            await _cancel_duplicate(session, referral, kept_household_id=to_id, cause=cause)
        else:
            journal.note(referral, f"household {from_id} merged into {to_id} as a duplicate")
    await session.flush()
    await duplicates_repository.move_household(
        session, from_id=from_id, to_id=to_id, region=merged.region, district=merged.district
    )


async def _cancel_duplicate(
    session: AsyncSession, referral: Referral, *, kept_household_id: str, cause: CloudEvent | None
) -> None:
    was_waiting = referral.status == ReferralStatus.REQUESTED
    reason = f"household merged into {kept_household_id}, which has an active referral for it"
    journal.move(referral, ReferralStatus.CANCELLED, reason=events.DUPLICATE_HOUSEHOLD)
    journal.note(referral, f"cancelled: {reason}")
    if was_waiting:
        # The partner's pending answer is no longer wanted.
        attempt = await repository.current_attempt(session, referral)
        if attempt is not None and attempt.outcome == AttemptOutcome.PENDING:
            attempt.outcome = AttemptOutcome.SUPERSEDED
            attempt.decided_at = utcnow()
    events.publish_changed(
        session,
        referral,
        spec=referral_events.REFERRAL_CANCELLED,
        cause=cause,
        reason=events.DUPLICATE_HOUSEHOLD,
    )
    placement_service.release_bed(session, referral, reason=events.DUPLICATE_HOUSEHOLD, cause=cause)
