"""The risk service's read model of a household: only the facts scoring and routing need."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class RiskHousehold(SQLModel, table=True):
    __tablename__ = "risk_households"

    household_id: str = Field(primary_key=True, max_length=36)
    region: str = Field(max_length=16)
    district: str = Field(max_length=16)
    language: str = Field(max_length=2)
    # ISO dates of the children currently in the household; ages are derived when needed.
    children_birth_dates: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    # The sex of each current member; None for a row stored before the read model kept it.
    member_sexes: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
