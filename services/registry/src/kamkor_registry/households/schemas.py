"""What the households API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.registry import MemberRole, MigrationStatus, SchoolEnrolment
from kamkor_common.inputs import PlainText
from kamkor_common.pagination import Page
from kamkor_registry.duplicates.schemas import DuplicateHint

Language = Literal["ky", "ru", "en"]
Sex = Literal["female", "male"]


class MemberCreate(BaseModel):
    # Unknown fields are refused rather than dropped: nothing a worker typed is lost unseen.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: MemberRole
    family_name: PlainText = Field(min_length=1, max_length=100)
    given_name: PlainText = Field(min_length=1, max_length=100)
    patronymic: PlainText | None = Field(default=None, max_length=100)
    sex: Sex
    birth_date: date
    # Checked by the service, so that a bad PIN answers with its own code.
    pin: PlainText | None = Field(default=None, max_length=40)


class HouseholdCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    region: PlainText = Field(min_length=1, max_length=16)
    district: PlainText = Field(min_length=1, max_length=16)
    settlement: PlainText = Field(min_length=1, max_length=200)
    address: PlainText = Field(min_length=1, max_length=300)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9][0-9 ()-]{4,30}$")
    language: Language
    members: list[MemberCreate] = Field(min_length=1, max_length=50)


class MemberRead(BaseModel):
    person_id: str
    role: MemberRole
    family_name: str
    given_name: str
    patronymic: str | None
    sex: Sex
    birth_date: date
    pin: str | None
    age: int
    since: date
    until: date | None
    caregiver_person_id: str | None = None
    disability: bool | None = None
    disability_support: bool | None = None
    school_enrolment: SchoolEnrolment | None = None
    school: str | None = None
    migration_status: MigrationStatus | None = None
    migration_country: str | None = None
    migration_since: date | None = None
    person_version: int = Field(default=1, description="The person's ETag for their updates.")


class HouseholdUpdate(BaseModel):
    """The household's own facts; only the fields sent change (`null` clears the phone)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    region: PlainText | None = Field(default=None, min_length=1, max_length=16)
    district: PlainText | None = Field(default=None, min_length=1, max_length=16)
    settlement: PlainText | None = Field(default=None, min_length=1, max_length=200)
    address: PlainText | None = Field(default=None, min_length=1, max_length=300)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9][0-9 ()-]{4,30}$")
    language: Language | None = None


class RecordWarning(BaseModel):
    """Something accepted as given that a person should review."""

    code: str
    person_id: str
    field: str
    message: str


class HouseholdRead(BaseModel):
    id: str
    region: str
    district: str
    settlement: str
    address: str
    phone: str | None
    language: Language
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    members: list[MemberRead]
    warnings: list[RecordWarning]
    merged_into: str | None = Field(
        default=None,
        description="Set on a household merged into another as a duplicate: the kept one.",
    )
    duplicate_candidates: list[DuplicateHint] = Field(
        default_factory=list,
        description="On registration: people already on record whom a new member may be.",
    )


class HouseholdList(Page[HouseholdRead]):
    pass
