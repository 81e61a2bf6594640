"""What the lifecycle routes accept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.inputs import NoteText
from kamkor_referral.referrals.states import CompletionOutcome


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReasonGiven(_Input):
    """A change that needs a reason in words (hold, fail, cancel, entered in error)."""

    # A note: ordinary line breaks are kept, other control characters refused.
    reason: NoteText = Field(min_length=1, max_length=1000)


class ReferralComplete(_Input):
    outcome: CompletionOutcome = Field(description="What came of the referral (DESIGN §6).")
    note: NoteText | None = Field(default=None, max_length=2000)
