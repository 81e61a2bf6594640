"""The consent read model: one row per consent the registry recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow

# The scope under which a family's contact details may go to the partner that took it.
CONTACT_SHARING = "contact_sharing"


class ConsentRecord(SQLModel, table=True):
    __tablename__ = "consent_records"

    consent_id: str = Field(primary_key=True, max_length=36)
    household_id: str = Field(max_length=36, index=True)
    person_id: str | None = Field(default=None, max_length=36)
    scope: str = Field(max_length=60)
    legal_basis: str | None = Field(default=None, max_length=200)
    given_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
