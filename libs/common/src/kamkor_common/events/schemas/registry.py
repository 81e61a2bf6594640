"""Events published by the registry on `registry.households.v1`. No names, no addresses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from kamkor_common.events.spec import D, EventSpec
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS

SOURCE = "/kamkor/registry"

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


def _spec(type: str, data: type[D], summary: str) -> EventSpec[D]:
    return EventSpec(
        type=type,
        topic=REGISTRY_HOUSEHOLDS,
        data=data,
        source=SOURCE,
        key="household_id",
        subject="household",
        summary=summary,
    )


HOUSEHOLD_REGISTERED: EventSpec[HouseholdRegistered] = _spec(
    "kamkor.registry.household.registered.v1",
    HouseholdRegistered,
    "A household and its members were registered.",
)
CONSENT_RECORDED: EventSpec[ConsentChanged] = _spec(
    "kamkor.registry.consent.recorded.v1",
    ConsentChanged,
    "A consent (or a legal basis) to share the family's details was recorded.",
)
CONSENT_WITHDRAWN: EventSpec[ConsentChanged] = _spec(
    "kamkor.registry.consent.withdrawn.v1",
    ConsentChanged,
    "A consent was withdrawn.",
)
HOUSEHOLD_UPDATED: EventSpec[HouseholdUpdated] = _spec(
    "kamkor.registry.household.updated.v1",
    HouseholdUpdated,
    "A household's coded facts or its current members changed (a full snapshot).",
)
CHILD_REGISTERED: EventSpec[ChildChanged] = _spec(
    "kamkor.registry.child.registered.v1",
    ChildChanged,
    "A child was registered into an existing household.",
)
CHILD_UPDATED: EventSpec[ChildChanged] = _spec(
    "kamkor.registry.child.updated.v1",
    ChildChanged,
    "A child's record changed.",
)
CHILD_MOVED: EventSpec[ChildMoved] = _spec(
    "kamkor.registry.child.moved.v1",
    ChildMoved,
    "A child left one household for another; keyed by the household moved to.",
)


class HouseholdMerged(BaseModel):
    """A duplicate household was merged into the one kept; keyed by the kept household.

    The merged household stays as a tombstone pointing at the kept one. The kept
    household's facts and current members are given as after the merge (a full snapshot).
    """

    household_id: str
    merged_household_id: str
    version: int
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    members: list[MemberSnapshot]


class PersonMerged(BaseModel):
    """A duplicate record of a person was merged into the one kept, in one of the kept
    person's households (one event per household they live in)."""

    household_id: str
    person_id: str
    merged_person_id: str


HOUSEHOLD_MERGED: EventSpec[HouseholdMerged] = _spec(
    "kamkor.registry.household.merged.v1",
    HouseholdMerged,
    "A duplicate household was merged into another; its members, consents and history moved.",
)
PERSON_MERGED: EventSpec[PersonMerged] = _spec(
    "kamkor.registry.person.merged.v1",
    PersonMerged,
    "A duplicate record of a person was merged into the one kept.",
)


class VisitRecorded(BaseModel):
    """A social worker's home visit of a registration round, with coded observations only.

    `members` are the household's current members (as at registration), so that a
    consumer can keep its read model without waiting for another event; `facts` are what
    the registry itself knows (e.g. both parents abroad); `indicators` is `facts` with the
    worker's `observations` laid over them: the answers a risk screening scores. The notes
    the worker wrote stay in the registry.
    """

    visit_id: str
    household_id: str
    round: str
    visited_on: date
    # The worker's user id (token subject), never a name.
    worker: str
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    members: list[MemberFacts]
    observations: dict[str, bool | int | float]
    facts: dict[str, bool | int | float]
    indicators: dict[str, bool | int | float]


VISIT_RECORDED: EventSpec[VisitRecorded] = _spec(
    "kamkor.registry.visit.recorded.v1",
    VisitRecorded,
    "A home visit was recorded, with coded observations and the registry's derived facts.",
)
