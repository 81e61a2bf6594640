"""Tables of shelters and their bed categories."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class Shelter(SQLModel, table=True):
    """A shelter run by an operator organisation; its address is never stored here."""

    __tablename__ = "shelters"

    id: str = Field(primary_key=True, max_length=36)
    organization_id: str = Field(max_length=36, index=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=20, index=True)
    district: str = Field(max_length=20)
    confidential_address: bool = False
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class ShelterCategory(SQLModel, table=True):
    """The bed counts of one category at one shelter; holds are counted from `bed_holds`."""

    __tablename__ = "bed_categories"
    __table_args__ = (
        CheckConstraint(
            "total >= 0 AND out_of_service >= 0 AND occupied >= 0",
            name="ck_bed_categories_counts_not_negative",
        ),
    )

    shelter_id: str = Field(foreign_key="shelters.id", primary_key=True, max_length=36)
    category: str = Field(primary_key=True, max_length=20)
    total: int = 0
    out_of_service: int = 0
    occupied: int = 0
