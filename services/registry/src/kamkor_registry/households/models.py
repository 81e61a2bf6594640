"""Tables of households, persons and who lives where."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

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
    # Set when the household was merged into another as a duplicate: a tombstone whose
    # members and consents moved to that household; its id still resolves.
    merged_into: str | None = Field(default=None, max_length=36, index=True)


class MigrationStatus(StrEnum):
    """Where a parent lives and works (DOMAIN: parents abroad are a first-class fact)."""

    abroad = "abroad"
    elsewhere = "elsewhere"  # elsewhere in Kyrgyzstan
    home = "home"


class SchoolEnrolment(StrEnum):
    enrolled = "enrolled"
    not_enrolled = "not_enrolled"
    home_schooled = "home_schooled"
    not_school_age = "not_school_age"


def one_of(column: str, values: type[StrEnum]) -> str:
    """A check constraint's condition from an enum, so the two never drift apart."""
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Person(SQLModel, table=True):
    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint("sex IN ('female', 'male')", name="ck_persons_sex"),
        CheckConstraint(one_of("migration_status", MigrationStatus), name="ck_persons_migration"),
        CheckConstraint(
            one_of("school_enrolment", SchoolEnrolment), name="ck_persons_school_enrolment"
        ),
        # Trigram GIN indexes on PostgreSQL (the migration adds pg_trgm); on SQLite plain
        # indexes, which serve the prefix blocking of the search there.
        Index(
            "ix_persons_family_key",
            "family_key",
            postgresql_using="gin",
            postgresql_ops={"family_key": "gin_trgm_ops"},
        ),
        Index(
            "ix_persons_given_key",
            "given_key",
            postgresql_using="gin",
            postgresql_ops={"given_key": "gin_trgm_ops"},
        ),
        Index("ix_persons_birth_date", "birth_date"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    patronymic: str | None = Field(default=None, max_length=100)
    sex: str = Field(max_length=6)
    birth_date: date
    # Unique: one PIN is one person, whichever household registered them first.
    pin: str | None = Field(default=None, max_length=14, unique=True)
    # None: not known yet. Support: whether the child gets the help the disability needs.
    disability: bool | None = None
    disability_support: bool | None = None
    school_enrolment: str | None = Field(default=None, max_length=16)
    school: str | None = Field(default=None, max_length=200)
    # Parents' migration: status, ISO 3166-1 alpha-2 country when abroad, since when.
    migration_status: str | None = Field(default=None, max_length=16)
    migration_country: str | None = Field(default=None, max_length=2)
    migration_since: date | None = None
    # Search keys of the names (search.normalise), set wherever a name is written.
    family_key: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    given_key: str = Field(default="", max_length=255, sa_column_kwargs={"server_default": ""})
    full_key: str = Field(default="", max_length=511, sa_column_kwargs={"server_default": ""})
    # Bumped by every change; served as the ETag that updates must match.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Set when the record was merged into another as a duplicate (a tombstone).
    merged_into: str | None = Field(default=None, max_length=36, index=True)


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
    # On a child's stay: the member who cares for them now (often a grandparent).
    caregiver_person_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(36),
            ForeignKey("persons.id", name="fk_household_members_caregiver"),
            nullable=True,
        ),
    )
