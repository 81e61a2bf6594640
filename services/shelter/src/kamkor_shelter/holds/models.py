"""The table of bed holds: a referral's history of holds, at most one of them live."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow

HoldStatus = Literal["held", "confirmed", "released", "expired"]
# Only a hold that still waits for the family takes a bed from availability; a confirmed
# one has turned into a stay, whose beds are counted as occupied.
ACTIVE = "held"
# A hold in one of these states answers its referral with a bed; a referral has at most one.
LIVE = ("held", "confirmed")
_LIVE_SQL = text("status IN ('held', 'confirmed')")


class BedHold(SQLModel, table=True):
    """Beds of one category kept for a referral until the family arrives or the hold ends."""

    __tablename__ = "bed_holds"
    __table_args__ = (
        Index("ix_bed_holds_shelter_category_status", "shelter_id", "category", "status"),
        Index("ix_bed_holds_status_expires_at", "status", "expires_at"),
        # Ended holds stay as history; only a live one is unique per referral.
        Index(
            "ux_bed_holds_referral_live",
            "referral_id",
            unique=True,
            postgresql_where=_LIVE_SQL,
            sqlite_where=_LIVE_SQL,
        ),
        CheckConstraint("beds > 0", name="ck_bed_holds_beds_positive"),
        CheckConstraint(
            "status IN ('held', 'confirmed', 'released', 'expired')",
            name="ck_bed_holds_status",
        ),
    )

    id: str = Field(primary_key=True, max_length=36)
    referral_id: str = Field(max_length=36)
    shelter_id: str = Field(foreign_key="shelters.id", max_length=36)
    category: str = Field(max_length=20)
    beds: int = 1
    status: str = Field(default=ACTIVE, max_length=20)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    reason: str | None = Field(default=None, max_length=200)
