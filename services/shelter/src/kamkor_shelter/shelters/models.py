"""Tables of shelters and their bed categories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class Shelter(SQLModel, table=True):
    """A shelter run by an operator organisation."""

    __tablename__ = "shelters"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: str = Field(max_length=36, index=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=20, index=True)
    district: str = Field(max_length=20)
    confidential_address: bool = False
    # Shown only to the operator's staff and admins where `confidential_address` is set.
    address: str | None = Field(default=None, max_length=500)
    # When staff last changed or confirmed its beds (counts, arrivals, departures).
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    # Set by the worker once `updated_at` is older than `KAMKOR_STALE_AFTER_HOURS`.
    stale_since: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Bumped by every edit of the record or its bed counts; served as the ETag.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ShelterCategory(SQLModel, table=True):
    """Beds of one category at one shelter; holds and stays take them (`bed_holds`, `stays`)."""

    __tablename__ = "bed_categories"
    __table_args__ = (
        CheckConstraint(
            "total >= 0 AND out_of_service >= 0 AND out_of_service <= total",
            name="ck_bed_categories_counts",
        ),
    )

    shelter_id: str = Field(foreign_key="shelters.id", primary_key=True, max_length=36)
    category: str = Field(primary_key=True, max_length=20)
    total: int = 0
    out_of_service: int = 0
