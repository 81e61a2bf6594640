"""The read model of shelter availability, kept from `shelter.capacity.v1`."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime


class ShelterAvailability(SQLModel, table=True):
    """Free beds of one category at one shelter, as of the shelter's last snapshot."""

    __tablename__ = "shelter_availability"
    __table_args__ = (Index("ix_shelter_availability_org_category", "organization_id", "category"),)

    shelter_id: str = Field(primary_key=True, max_length=36)
    category: str = Field(primary_key=True, max_length=16)
    organization_id: str = Field(max_length=36)
    region: str = Field(max_length=16)
    district: str = Field(max_length=16)
    available: int
    total: int
    as_of: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # When the shelter's staff last changed or confirmed its beds, and whether the shelter
    # calls that too long ago; unknown (None, False) from snapshots without them.
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    stale: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
