"""The consents table."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id, one_of


class ConsentScope(StrEnum):
    """What a consent allows."""

    contact_sharing = "contact_sharing"  # the family's contact details to referral partners
    data_processing = "data_processing"  # keeping and using the family's record


class Consent(SQLModel, table=True):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(one_of("scope", ConsentScope), name="ck_consents_scope"),
        # Someone gave it, or a law stands in for consent.
        CheckConstraint(
            "person_id IS NOT NULL OR given_by_name IS NOT NULL OR legal_basis IS NOT NULL",
            name="ck_consents_given_by_or_basis",
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    household_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("households.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # The member who gave it, when registered; else the name of the caregiver who did.
    person_id: str | None = Field(
        default=None, sa_column=Column(String(36), ForeignKey("persons.id"), nullable=True)
    )
    given_by_name: str | None = Field(default=None, max_length=200)
    scope: str = Field(max_length=32)
    legal_basis: str | None = Field(default=None, max_length=64)
    given_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    withdrawn_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    recorded_by: str = Field(max_length=200)
    withdrawn_by: str | None = Field(default=None, max_length=200)
    recorded_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
