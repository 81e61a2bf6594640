"""What the referral APIs accept and answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.referral import Priority
from kamkor_common.inputs import NoteText
from kamkor_common.pagination import Page
from kamkor_referral.referrals.states import AttemptOutcome, HoldStatus, ReferralStatus


class PartnerRef(BaseModel):
    """The partner a referral is addressed to now."""

    organization_id: str
    service_id: str
    name: str
    service_name: str | None = None


class AttemptRead(BaseModel):
    number: int
    organization_id: str
    service_id: str
    shelter_id: str | None
    outcome: AttemptOutcome
    reason: str | None
    created_at: datetime
    response_due_at: datetime
    reminded_at: datetime | None
    decided_at: datetime | None


class StatusStep(BaseModel):
    """One step of a referral's path: the status it entered, when, and who moved it."""

    status: ReferralStatus
    at: datetime
    role: str | None = Field(default=None, description="Who moved it; null: Kamkor's routing.")
    organization_id: str | None = None
    reason: str | None = None
    outcome: str | None = None


class ReferralRead(BaseModel):
    """A referral as staff see it: where it stands, who has it, and why."""

    id: str
    household_id: str
    service_type: str
    priority: Priority
    status: ReferralStatus
    region: str
    district: str
    language: str
    children_ages: list[int]
    source_flag_ids: list[str]
    partner: PartnerRef | None
    shelter_id: str | None
    hold_status: HoldStatus | None
    attempts: list[AttemptRead]
    reasons: list[str]
    history: list[StatusStep] = []
    created_at: datetime
    updated_at: datetime


ReferralList = Page[ReferralRead]


class PartnerReferralRead(BaseModel):
    """What a partner sees of a referral addressed to it: the need, never a name.

    `status` is the referral's while it is addressed to the partner; once it has moved
    on, `rejected` if the partner declined it, else `cancelled`.
    """

    id: str
    service_type: str
    priority: Priority
    status: ReferralStatus
    region: str
    district: str
    language: str
    children_ages: list[int]
    shelter_id: str | None
    created_at: datetime
    response_due_at: datetime | None
    attempt_outcome: AttemptOutcome = Field(
        description="Your answer to it so far: `pending`, `accepted`, `rejected`, or why it "
        "was withdrawn from you (`expired`, `hold_rejected`, `superseded`)."
    )
    changed_at: datetime = Field(description="When what you see of it last changed.")


PartnerReferralList = Page[PartnerReferralRead]


class DeadlineRun(BaseModel):
    """What one pass over the response deadlines did: referral ids moved on and reminded."""

    expired: list[str] = []
    reminded: list[str] = []


class ReferralReject(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    # A note: ordinary line breaks are kept, other control characters refused.
    reason: NoteText = Field(min_length=1, max_length=1000)
