"""What the duplicates API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.inputs import PlainText
from kamkor_common.pagination import Page

CandidateStatusName = Literal["open", "merged", "dismissed"]


class DuplicateHint(BaseModel):
    """A person on record whom a newly registered one may duplicate (in a registration's
    answer): enough to recognise them, not their whole record."""

    candidate_id: str = Field(description="The stored pair a supervisor merges or dismisses.")
    person_id: str = Field(description="The person just registered.")
    candidate_person_id: str = Field(description="The person already on record.")
    family_name: str
    given_name: str
    birth_date: date
    score: float = Field(ge=0, le=1)
    reasons: list[str]


class CandidateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: str
    candidate_person_id: str
    score: float
    reasons: list[str]
    region: str
    district: str
    status: CandidateStatusName
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    kept_person_id: str | None


class CandidateList(Page[CandidateRead]):
    pass


class PairPerson(BaseModel):
    """One side of a pair as a supervisor compares it."""

    id: str
    family_name: str
    given_name: str
    patronymic: str | None
    sex: str
    birth_date: date
    pin: str | None
    version: int
    merged_into: str | None
    household_ids: list[str] = Field(description="The households the person lives in now.")


class PairRead(BaseModel):
    candidate: CandidateRead
    person: PairPerson
    candidate_person: PairPerson
    etag: str = Field(description="Send it as If-Match to merge: both records' versions.")


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep_person_id: str = Field(
        max_length=36, description="Which of the two records stays; the other is a tombstone."
    )


class DismissRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: PlainText = Field(min_length=1, max_length=500)


class HouseholdMergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into_household_id: str = Field(max_length=36, description="The household that is kept.")
