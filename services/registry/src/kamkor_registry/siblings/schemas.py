"""What the sibling groups API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class SiblingGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_ids: list[str] = Field(min_length=2, max_length=20)
    last_met_on: date | None = None


class MeetingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    met_on: date


class SiblingRead(BaseModel):
    person_id: str
    # Where the child lives now; None when no current stay is on record.
    household_id: str | None


class SiblingGroupRead(BaseModel):
    id: str
    siblings: list[SiblingRead]
    separated: bool = Field(description="The siblings live in more than one household now.")
    last_met_on: date | None
    created_at: datetime
    created_by: str
    updated_at: datetime | None


class SiblingGroupList(BaseModel):
    items: list[SiblingGroupRead]
