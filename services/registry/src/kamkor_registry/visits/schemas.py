"""What the home visits API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.inputs import NoteText
from kamkor_common.pagination import Page

ROUND_PATTERN = r"^20[0-9]{2}-H[12]$"


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    round: str = Field(pattern=ROUND_PATTERN, description="The registration round, e.g. `2026-H2`.")
    visited_on: date = Field(description="The day of the visit; not in the future.")
    # Checked against the indicator vocabulary by the service, so that every bad one is
    # named in one `invalid_observations` problem.
    observations: dict[str, Any] = Field(
        default_factory=dict,
        max_length=200,
        description="Coded observations in the indicator vocabulary (see the risk indicators).",
    )
    notes: NoteText | None = Field(default=None, max_length=4000)


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    household_id: str
    round: str
    visited_on: date
    worker: str
    observations: dict[str, Any]
    notes: str | None
    facts: dict[str, Any] = Field(
        description="What the registry knew of the household when the visit was recorded."
    )
    created_at: datetime


class VisitList(Page[VisitRead]):
    pass
