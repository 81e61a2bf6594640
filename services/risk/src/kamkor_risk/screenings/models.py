"""Screenings, their per-domain assessments, and the flags they open and resolve."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class ScreeningSource(StrEnum):
    """Where a screening's answers came from."""

    screening = "screening"  # asked by a worker through the screenings API
    visit = "visit"  # observed on a home visit recorded in the registry


class Screening(SQLModel, table=True):
    __tablename__ = "screenings"
    __table_args__ = (
        CheckConstraint(
            f"source IN ({', '.join(repr(s.value) for s in ScreeningSource)})",
            name="ck_screenings_source",
        ),
        Index("uq_screenings_visit_id", "visit_id", unique=True),
    )

    id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(index=True, max_length=36)
    answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    rule_set_version: str = Field(max_length=40)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    created_by: str = Field(max_length=200)
    source: str = Field(
        default=ScreeningSource.screening,
        max_length=16,
        sa_column_kwargs={"server_default": ScreeningSource.screening.value},
    )
    # The registry's home visit this screening scored; unique, so a visit is screened once
    # however often its event arrives.
    visit_id: str | None = Field(default=None, max_length=36)


class DomainAssessment(SQLModel, table=True):
    """One domain's score of a screening, with the reasons that explain it."""

    __tablename__ = "domain_assessments"

    screening_id: str = Field(primary_key=True, foreign_key="screenings.id", max_length=36)
    domain: str = Field(primary_key=True, max_length=32)
    score: int
    severity: str = Field(max_length=16)
    reasons: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


OPEN = "open"
RESOLVED = "resolved"


class RiskFlag(SQLModel, table=True):
    """A household's open (or once open) concern in one domain."""

    __tablename__ = "risk_flags"
    # At most one open flag per household and domain, whatever races the API sees.
    __table_args__ = (
        Index(
            "uq_risk_flags_open_household_domain",
            "household_id",
            "domain",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(index=True, max_length=36)
    domain: str = Field(max_length=32)
    severity: str = Field(max_length=16)
    status: str = Field(default=OPEN, max_length=16)
    rule_set_version: str = Field(max_length=40)
    opened_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    last_screening_id: str = Field(foreign_key="screenings.id", max_length=36)
