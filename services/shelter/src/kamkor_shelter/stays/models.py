"""The table of stays: who occupies which beds, from arrival until departure."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class StayStatus(StrEnum):
    PRESENT = "present"
    DEPARTED = "departed"


def _in(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class Stay(SQLModel, table=True):
    """Beds of one category occupied by one family: from a confirmed hold or a walk-in."""

    __tablename__ = "stays"
    __table_args__ = (
        Index("ix_stays_shelter_status", "shelter_id", "status", "category"),
        # A confirmed hold turns into exactly one stay, whoever confirms it twice.
        Index(
            "ux_stays_hold",
            "hold_id",
            unique=True,
            postgresql_where=text("hold_id IS NOT NULL"),
            sqlite_where=text("hold_id IS NOT NULL"),
        ),
        CheckConstraint("beds > 0", name="ck_stays_beds_positive"),
        CheckConstraint(f"status IN ({_in(StayStatus)})", name="ck_stays_status"),
        CheckConstraint(
            "(status = 'departed') = (departed_at IS NOT NULL)", name="ck_stays_departed_at"
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    shelter_id: str = Field(foreign_key="shelters.id", max_length=36)
    category: str = Field(max_length=20)
    beds: int = 1
    status: str = Field(default=StayStatus.PRESENT, max_length=20)
    hold_id: str | None = Field(default=None, max_length=36)
    referral_id: str | None = Field(default=None, max_length=36)
    arrived_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    departed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
