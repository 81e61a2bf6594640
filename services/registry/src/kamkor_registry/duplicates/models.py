"""The table of possible duplicates found when a person was registered."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id, one_of


class CandidateStatus(StrEnum):
    open = "open"
    merged = "merged"
    dismissed = "dismissed"


class DuplicateCandidate(SQLModel, table=True):
    """A newly registered person (`person_id`) who may be one already on record
    (`candidate_person_id`); a supervisor merges the two or dismisses the pair."""

    __tablename__ = "duplicate_candidates"
    __table_args__ = (
        CheckConstraint(one_of("status", CandidateStatus), name="ck_duplicate_candidates_status"),
        Index("uq_duplicate_candidates_pair", "person_id", "candidate_person_id", unique=True),
        Index("ix_duplicate_candidates_place", "status", "region", "district", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    person_id: str = Field(
        sa_column=Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    )
    candidate_person_id: str = Field(
        sa_column=Column(String(36), ForeignKey("persons.id"), nullable=False, index=True)
    )
    # How alike the names are (0 to 1), and what the two records share, as codes.
    score: float
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Where the new person was registered: whose supervisors see the pair.
    region: str = Field(max_length=16)
    district: str = Field(max_length=16)
    status: str = Field(default=CandidateStatus.open, max_length=16)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Why a pair was dismissed, or which record a merge kept.
    decision_reason: str | None = Field(default=None, max_length=500)
    kept_person_id: str | None = Field(default=None, max_length=36)
