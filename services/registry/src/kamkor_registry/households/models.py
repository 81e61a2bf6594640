"""Tables of households, persons and who lives where."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


class Household(SQLModel, table=True):
    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_region_district", "region", "district"),
        CheckConstraint("language IN ('ky', 'ru', 'en')", name="ck_households_language"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    region: str = Field(max_length=16)
    district: str = Field(max_length=16)
    settlement: str = Field(max_length=200)
    address: str = Field(max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    language: str = Field(max_length=2)
    # Bumped by every change; served as the ETag that updates must match.
    version: int = Field(default=1)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    created_by: str = Field(max_length=200)


class Person(SQLModel, table=True):
    __tablename__ = "persons"
    __table_args__ = (CheckConstraint("sex IN ('female', 'male')", name="ck_persons_sex"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)
    sex: str = Field(max_length=6)
    birth_date: date
    # Unique: one PIN is one person, whichever household registered them first.
    pin: str | None = Field(default=None, max_length=14, unique=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class HouseholdMember(SQLModel, table=True):
    """A person's stay in a household; `since` in the key keeps a return as a new stay."""

    __tablename__ = "household_members"
    __table_args__ = (
        CheckConstraint(
            "role IN ('child', 'parent', 'caregiver', 'grandparent', 'other')",
            name="ck_household_members_role",
        ),
    )

    household_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
        )
    )
    person_id: str = Field(
        sa_column=Column(String(36), ForeignKey("persons.id"), primary_key=True, index=True)
    )
    role: str = Field(max_length=16)
    since: date = Field(primary_key=True)
    until: date | None = None
