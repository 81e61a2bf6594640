"""Events published by the referral service on `referral.referrals.v1`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from kamkor_common.events.spec import D, EventSpec
from kamkor_common.events.topics import REFERRAL_REFERRALS

SOURCE = "/kamkor/referral"

Priority = Literal["stat", "urgent", "routine"]
BedCategory = Literal["mother_child", "woman", "child", "family"]


class ReferralChanged(BaseModel):
    """The referral's state after a change; the event type says which change."""

    referral_id: str
    household_id: str
    service_type: str
    priority: Priority
    status: str
    organization_id: str | None = None
    service_id: str | None = None
    attempt: int = 0
    reason: str | None = None


class ReferralCompleted(ReferralChanged):
    """A completed referral and what came of it (an outcome code, DESIGN §6)."""

    outcome: str


class ReferralDeadline(ReferralChanged):
    """The partner's answer is due at `response_due_at`: a reminder, or a moved deadline."""

    response_due_at: datetime


class BedHoldRequested(BaseModel):
    referral_id: str
    household_id: str
    shelter_id: str
    category: BedCategory
    beds: int = 1


class BedHoldReleaseRequested(BaseModel):
    referral_id: str
    shelter_id: str
    reason: str


def _spec(type: str, data: type[D], summary: str) -> EventSpec[D]:
    return EventSpec(
        type=type,
        topic=REFERRAL_REFERRALS,
        data=data,
        source=SOURCE,
        key="referral_id",
        subject="referral",
        summary=summary,
    )


REFERRAL_CREATED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.created.v1",
    ReferralChanged,
    "A referral was opened for a need of a flagged family.",
)
REFERRAL_ROUTED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.routed.v1",
    ReferralChanged,
    "The referral was addressed to a partner service as a new attempt.",
)
REFERRAL_ACCEPTED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.accepted.v1", ReferralChanged, "The partner took the referral on."
)
REFERRAL_REJECTED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.rejected.v1",
    ReferralChanged,
    "The partner declined; the referral moves on to the next partner.",
)
REFERRAL_ESCALATED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.escalated.v1",
    ReferralChanged,
    "Nobody could take the referral, or a deadline passed: supervisors are alerted.",
)
BED_HOLD_REQUESTED: EventSpec[BedHoldRequested] = _spec(
    "kamkor.referral.bed_hold.requested.v1",
    BedHoldRequested,
    "The referral asks a shelter to hold a bed.",
)
BED_HOLD_RELEASE_REQUESTED: EventSpec[BedHoldReleaseRequested] = _spec(
    "kamkor.referral.bed_hold.release_requested.v1",
    BedHoldReleaseRequested,
    "The referral asks the shelter to let go of the bed it holds or was asked to hold.",
)
REFERRAL_STARTED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.started.v1",
    ReferralChanged,
    "The partner started working with the family.",
)
REFERRAL_PUT_ON_HOLD: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.put_on_hold.v1", ReferralChanged, "The partner paused the work."
)
REFERRAL_RESUMED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.resumed.v1", ReferralChanged, "The partner resumed the work."
)
REFERRAL_COMPLETED: EventSpec[ReferralCompleted] = _spec(
    "kamkor.referral.referral.completed.v1",
    ReferralCompleted,
    "The partner completed the referral with an outcome code.",
)
REFERRAL_FAILED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.failed.v1",
    ReferralChanged,
    "The partner could not carry the referral through.",
)
REFERRAL_CANCELLED: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.cancelled.v1",
    ReferralChanged,
    "Staff cancelled the referral.",
)
REFERRAL_ENTERED_IN_ERROR: EventSpec[ReferralChanged] = _spec(
    "kamkor.referral.referral.entered_in_error.v1",
    ReferralChanged,
    "A supervisor marked the referral as made in error.",
)
REFERRAL_REMINDER_DUE: EventSpec[ReferralDeadline] = _spec(
    "kamkor.referral.referral.reminder_due.v1",
    ReferralDeadline,
    "Half of the partner's time to answer has passed.",
)
REFERRAL_DEADLINE_MOVED: EventSpec[ReferralDeadline] = _spec(
    "kamkor.referral.referral.deadline_moved.v1",
    ReferralDeadline,
    "The partner's answer is due at another time (the priority rose).",
)
