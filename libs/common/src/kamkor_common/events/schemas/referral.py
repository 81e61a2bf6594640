"""Events published by the referral service on `referral.referrals.v1`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

SOURCE = "/kamkor/referral"
REFERRAL_CREATED = "kamkor.referral.referral.created.v1"
REFERRAL_ROUTED = "kamkor.referral.referral.routed.v1"
REFERRAL_ACCEPTED = "kamkor.referral.referral.accepted.v1"
REFERRAL_REJECTED = "kamkor.referral.referral.rejected.v1"
REFERRAL_ESCALATED = "kamkor.referral.referral.escalated.v1"
BED_HOLD_REQUESTED = "kamkor.referral.bed_hold.requested.v1"
BED_HOLD_RELEASE_REQUESTED = "kamkor.referral.bed_hold.release_requested.v1"

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
