"""What the analysts' referral aggregates answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kamkor_common.disclosure import Breakdown, CountTableRead, DisclosureRule


class ReferralStatusStats(BaseModel):
    """Referrals made in the period by place and status, completed ones by their outcome."""

    counted: str = Field(description="What one unit of every count is.")
    breakdown: Breakdown
    rule: DisclosureRule
    table: CountTableRead


class ResponseTimeGroup(BaseModel):
    """How long partners took to answer, for one priority and one kind of answer."""

    priority: str
    outcome: str = Field(description="accepted, rejected, or expired (the deadline passed).")
    referrals: int | None = Field(description="Referrals in the group; null when suppressed.")
    median_hours: float | None
    p90_hours: float | None
    suppressed: bool = False


class ResponseTimeStats(BaseModel):
    counted: str = Field(description="What the figures are measured over.")
    breakdown: Breakdown
    rule: DisclosureRule
    groups: list[ResponseTimeGroup]
