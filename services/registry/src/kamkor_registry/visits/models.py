"""The home visits table."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id


class HomeVisit(SQLModel, table=True):
    """One visit of a social worker to a household in a registration round."""

    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_household_visited", "household_id", "visited_on"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    household_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("households.id", ondelete="CASCADE"), nullable=False
        )
    )
    # The registration round, e.g. `2026-H2`.
    round: str = Field(max_length=7)
    visited_on: date
    # The worker's user id (token subject).
    worker: str = Field(max_length=200)
    # Coded observations in the indicator vocabulary, as the worker recorded them.
    observations: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # What the registry knew of the household on the day the visit was recorded.
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
