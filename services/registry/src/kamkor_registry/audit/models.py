"""The audit trail table: append-only, written in the transaction of what it records."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id


class AuditAction(StrEnum):
    read = "read"
    create = "create"
    update = "update"
    move = "move"
    withdraw = "withdraw"
    merge = "merge"
    dismiss = "dismiss"


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_household_at", "household_id", "at"),
        Index("ix_audit_entries_person_at", "person_id", "at"),
        Index("ix_audit_entries_actor_at", "actor", "at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=200)
    role: str = Field(max_length=32)
    action: str = Field(max_length=16)
    # What was touched: `household`, `person`, `consent`, `sibling_group`, `membership`.
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=36)
    household_id: str | None = Field(default=None, max_length=36)
    person_id: str | None = Field(default=None, max_length=36)
    purpose: str | None = Field(default=None, max_length=200)
