"""The audit of every contact read: who read which family's details, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_referral.ids import new_id


class ContactRead(SQLModel, table=True):
    __tablename__ = "contact_reads"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(max_length=36, index=True)
    household_id: str = Field(max_length=36, index=True)
    subject: str = Field(max_length=200)
    role: str = Field(max_length=20)
    organization_id: str | None = Field(default=None, max_length=36)
    purpose: str = Field(max_length=60)
    consent_id: str = Field(max_length=36)
    read_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
