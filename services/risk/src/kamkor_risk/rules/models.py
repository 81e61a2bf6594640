"""Which rule set is active, kept in the database so that every process agrees, and its history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow

STATE_ID = 1


class RuleSetState(SQLModel, table=True):
    """One row: the active version and a revision that every activation raises (the ETag)."""

    __tablename__ = "rule_set_state"

    id: int = Field(default=STATE_ID, primary_key=True)
    version: str = Field(max_length=40)
    revision: int = Field(default=1)
    active_since: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    activated_by: str = Field(max_length=200)


class RuleSetActivation(SQLModel, table=True):
    """An audited switch of the active rule set: who, when, from which version, to which, why."""

    __tablename__ = "rule_set_activations"

    id: str = Field(primary_key=True, max_length=36)
    from_version: str | None = Field(default=None, max_length=40)
    to_version: str = Field(max_length=40)
    revision: int
    reason: str = Field(max_length=2000)
    activated_by: str = Field(max_length=200)
    role: str = Field(max_length=32)
    activated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False, index=True)
    )
