"""The events referrals publish on `referral.referrals.v1`, keyed by the referral id."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import (
    BED_HOLD_RELEASE_REQUESTED,
    BED_HOLD_REQUESTED,
    BedHoldReleaseRequested,
    BedHoldRequested,
    ReferralChanged,
    ReferralCompleted,
    ReferralDeadline,
)
from kamkor_common.events.spec import EventSpec
from kamkor_common.messaging.outbox import stage
from kamkor_referral.referrals.models import Referral

# Events carry reason codes, never words (DESIGN §3): a partner's or a shelter's own text
# stays in the referral's database, on the attempt it answered.
NEW_REFERRAL = "new_referral"
FLAGGED_AGAIN = "flagged_again"
REJECTED_BY_PARTNER = "rejected_by_partner"
NO_ELIGIBLE_PARTNER = "no_eligible_partner"
DEADLINE_MISSED = "deadline_missed"
ASSIGNED_BY_SUPERVISOR = "assigned_by_supervisor"
PRIORITY_RAISED = "priority_raised"
# Why the referral service asks a shelter to let a bed go.
RELEASE_REFERRAL_REJECTED = "referral_rejected"
RELEASE_REFERRAL_CANCELLED = "referral_cancelled"
RELEASE_DEADLINE_MISSED = "deadline_missed"
RELEASE_REFERRAL_COMPLETED = "referral_completed"
RELEASE_REFERRAL_FAILED = "referral_failed"
RELEASE_ENTERED_IN_ERROR = "entered_in_error"
# Why staff ended a referral, as the cancelled and entered-in-error events say it.
CANCELLED_BY_STAFF = "cancelled_by_staff"
ENTERED_IN_ERROR = "entered_in_error"
# A second active referral for one need, left when the registry merged a duplicate household.
DUPLICATE_HOUSEHOLD = "duplicate_household"

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def hold_rejected(shelter_reason: str) -> str:
    """`hold_rejected:<code>`; a shelter reason that is not a code is passed on as `other`."""
    code = shelter_reason if _CODE.fullmatch(shelter_reason) else "other"
    return f"hold_rejected:{code}"


def publish_changed(
    session: AsyncSession,
    referral: Referral,
    *,
    spec: EventSpec[ReferralChanged],
    cause: CloudEvent | None,
    reason: str | None = None,
) -> None:
    """Stage a ReferralChanged with the referral's state; `reason` is a code."""
    data = ReferralChanged(**_state(referral), reason=reason)
    stage(session, spec, data, cause=cause)


def publish_completed(
    session: AsyncSession, referral: Referral, *, spec: EventSpec[ReferralCompleted], outcome: str
) -> None:
    """Stage a ReferralCompleted: the referral's state and the outcome code."""
    data = ReferralCompleted(**_state(referral), outcome=outcome)
    stage(session, spec, data)


def publish_deadline(
    session: AsyncSession,
    referral: Referral,
    *,
    spec: EventSpec[ReferralDeadline],
    response_due_at: datetime,
    reason: str | None = None,
) -> None:
    """Stage a reminder or a moved deadline: when the partner's answer is due."""
    data = ReferralDeadline(**_state(referral), reason=reason, response_due_at=response_due_at)
    stage(session, spec, data)


def publish_bed_hold_requested(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    category: str,
    cause: CloudEvent | None,
) -> None:
    """Ask the shelter service to hold a bed at the referral's shelter."""
    data = BedHoldRequested(
        referral_id=referral.id,
        household_id=referral.household_id,
        shelter_id=shelter_id,
        category=category,
    )
    stage(session, BED_HOLD_REQUESTED, data, cause=cause)


def publish_bed_hold_release_requested(
    session: AsyncSession,
    referral: Referral,
    *,
    shelter_id: str,
    reason: str,
    cause: CloudEvent | None,
) -> None:
    """Ask the shelter service to let go of the bed it holds (or was asked to hold).

    `reason` is one of the RELEASE_* codes.
    """
    data = BedHoldReleaseRequested(referral_id=referral.id, shelter_id=shelter_id, reason=reason)
    stage(session, BED_HOLD_RELEASE_REQUESTED, data, cause=cause)


def _state(referral: Referral) -> dict[str, Any]:
    """The fields every referral event carries: where the referral stands now."""
    return {
        "referral_id": referral.id,
        "household_id": referral.household_id,
        "service_type": referral.service_type,
        "priority": referral.priority,
        "status": referral.status,
        "organization_id": referral.organization_id,
        "service_id": referral.service_id,
        "attempt": referral.attempts_count,
    }
