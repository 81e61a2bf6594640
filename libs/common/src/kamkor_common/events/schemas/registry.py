"""Events published by the registry on `registry.households.v1`. No names, no addresses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

SOURCE = "/kamkor/registry"
HOUSEHOLD_REGISTERED = "kamkor.registry.household.registered.v1"

MemberRole = Literal["child", "parent", "caregiver", "grandparent", "other"]


class MemberFacts(BaseModel):
    person_id: str
    role: MemberRole
    sex: Literal["female", "male"]
    birth_date: date


class HouseholdRegistered(BaseModel):
    household_id: str
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    members: list[MemberFacts]


HOUSEHOLD_UPDATED = "kamkor.registry.household.updated.v1"
CHILD_REGISTERED = "kamkor.registry.child.registered.v1"
CHILD_UPDATED = "kamkor.registry.child.updated.v1"
CHILD_MOVED = "kamkor.registry.child.moved.v1"
CONSENT_RECORDED = "kamkor.registry.consent.recorded.v1"
CONSENT_WITHDRAWN = "kamkor.registry.consent.withdrawn.v1"

MigrationStatus = Literal["abroad", "elsewhere", "home"]
SchoolEnrolment = Literal["enrolled", "not_enrolled", "home_schooled", "not_school_age"]


class MemberSnapshot(BaseModel):
    """A current member as consumers need it: coded facts, never names or PINs."""

    person_id: str
    role: MemberRole
    sex: Literal["female", "male"]
    birth_date: date
    since: date
    # Set on a child: the member who cares for them now.
    caregiver_person_id: str | None = None
    disability: bool | None = None
    school_enrolment: SchoolEnrolment | None = None
    migration_status: MigrationStatus | None = None
    # ISO 3166-1 alpha-2, set when the migration status is `abroad`.
    migration_country: str | None = None
    migration_since: date | None = None


class HouseholdUpdated(BaseModel):
    """The household as it now is (a full snapshot of its coded facts and current members)."""

    household_id: str
    version: int
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    members: list[MemberSnapshot]


class ChildChanged(BaseModel):
    """A child registered into an existing household, or a child's record changed."""

    household_id: str
    child: MemberSnapshot


class ChildMoved(BaseModel):
    """A child left one household for another; keyed by the household they moved to."""

    household_id: str
    person_id: str
    from_household_id: str
    moved_on: date
    child: MemberSnapshot


class ConsentChanged(BaseModel):
    """A consent on record (consent recorded) or taken back (consent withdrawn).

    `scope` says what it allows (e.g. `contact_sharing`); `legal_basis` is set when the
    sharing rests on a law rather than on the family's consent.
    """

    consent_id: str
    household_id: str
    person_id: str | None = None
    scope: str
    legal_basis: str | None = None
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None
