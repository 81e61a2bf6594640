"""What the supervision routes accept and answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.referral import Priority
from kamkor_common.inputs import NoteText
from kamkor_common.pagination import Page
from kamkor_referral.referrals.states import ReferralStatus


class ReferralAssign(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_id: str = Field(min_length=1, max_length=36, description="The partner service chosen.")
    reason: NoteText = Field(min_length=1, max_length=1000)


class EscalationKind(StrEnum):
    UNASSIGNED = "unassigned"
    DEADLINE_PASSED = "deadline_passed"


class EscalationRead(BaseModel):
    """A referral that needs a supervisor, and why."""

    referral_id: str
    household_id: str
    service_type: str
    priority: Priority
    status: ReferralStatus
    region: str
    district: str
    kind: EscalationKind
    since: datetime = Field(description="When it became unassigned, or when the answer was due.")
    organization_id: str | None
    service_id: str | None


EscalationList = Page[EscalationRead]
