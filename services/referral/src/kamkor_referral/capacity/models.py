"""The read model of shelter availability, kept from `shelter.capacity.v1`."""

from __future__ import annotations

from datetime import datetime

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
