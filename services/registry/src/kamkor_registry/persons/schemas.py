"""What the persons API accepts and answers."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.registry import MemberRole, MigrationStatus, SchoolEnrolment
from kamkor_common.inputs import PlainText
from kamkor_registry.households.schemas import RecordWarning, Sex


class PersonUpdate(BaseModel):
    """Only the fields sent change; `null` clears an optional one."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    family_name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    given_name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    patronymic: PlainText | None = Field(default=None, max_length=100)
    sex: Sex | None = None
    birth_date: date | None = None
    # Checked by the service, so that a bad PIN answers with its own code.
    pin: PlainText | None = Field(default=None, max_length=40)
    disability: bool | None = None
    disability_support: bool | None = Field(
        default=None, description="Whether the help the disability needs is given."
    )
    school_enrolment: SchoolEnrolment | None = None
    school: PlainText | None = Field(default=None, max_length=200)
    migration_status: MigrationStatus | None = Field(
        default=None, description="A parent's: abroad, elsewhere in the country, or at home."
    )
    migration_country: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166-1 alpha-2 country, given exactly when the status is `abroad`.",
    )
    migration_since: date | None = None


class PersonMembership(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    household_id: str
    role: MemberRole
    since: date
    until: date | None
    caregiver_person_id: str | None


class PersonRead(BaseModel):
    id: str
    family_name: str
    given_name: str
    patronymic: str | None
    sex: Sex
    birth_date: date
    age: int
    pin: str | None
    disability: bool | None
    disability_support: bool | None
    school_enrolment: SchoolEnrolment | None
    school: str | None
    migration_status: MigrationStatus | None
    migration_country: str | None
    migration_since: date | None
    version: int
    created_at: datetime
    updated_at: datetime | None
    memberships: list[PersonMembership]
    warnings: list[RecordWarning]
    merged_into: str | None = Field(
        default=None,
        description="Set on a record merged into another as a duplicate: the kept record.",
    )
