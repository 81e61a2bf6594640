"""The events the households domain publishes: identifiers and coded facts only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.registry import (
    CHILD_MOVED,
    CHILD_REGISTERED,
    CHILD_UPDATED,
    HOUSEHOLD_REGISTERED,
    HOUSEHOLD_UPDATED,
    SOURCE,
    ChildChanged,
    ChildMoved,
    HouseholdRegistered,
    HouseholdUpdated,
    MemberFacts,
    MemberSnapshot,
)
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.households.repository import Membership


def household_registered(household: Household, memberships: Sequence[Membership]) -> CloudEvent:
    """`kamkor.registry.household.registered.v1`, keyed by the household id."""
    data = HouseholdRegistered(
        household_id=household.id,
        region=household.region,
        district=household.district,
        language=household.language,
        members=[
            MemberFacts(
                person_id=person.id,
                role=member.role,
                sex=person.sex,
                birth_date=person.birth_date,
            )
            for member, person in memberships
        ],
    )
    return new_event(
        source=SOURCE,
        type=HOUSEHOLD_REGISTERED,
        key=household.id,
        data=data,
        subject=f"household/{household.id}",
    )


def is_current(member: HouseholdMember, *, on: date) -> bool:
    """Whether a stay is still going on that day (`until` is the day the person left)."""
    return member.until is None or member.until > on


def member_snapshot(member: HouseholdMember, person: Person) -> MemberSnapshot:
    """A member's coded facts for consumers: no names, no PIN."""
    return MemberSnapshot(
        person_id=person.id,
        role=member.role,
        sex=person.sex,
        birth_date=person.birth_date,
        since=member.since,
        caregiver_person_id=member.caregiver_person_id,
        disability=person.disability,
        school_enrolment=person.school_enrolment,
        migration_status=person.migration_status,
        migration_country=person.migration_country,
        migration_since=person.migration_since,
    )


def _event(type: str, household_id: str, data: BaseModel) -> CloudEvent:
    return new_event(
        source=SOURCE, type=type, key=household_id, data=data, subject=f"household/{household_id}"
    )


def household_updated(
    household: Household, memberships: Sequence[Membership], *, on: date
) -> CloudEvent:
    """`kamkor.registry.household.updated.v1`: the household's facts and current members."""
    data = HouseholdUpdated(
        household_id=household.id,
        version=household.version,
        region=household.region,
        district=household.district,
        language=household.language,
        members=[member_snapshot(m, p) for m, p in memberships if is_current(m, on=on)],
    )
    return _event(HOUSEHOLD_UPDATED, household.id, data)


def child_registered(member: HouseholdMember, person: Person) -> CloudEvent:
    """`kamkor.registry.child.registered.v1`: a child joined an existing household."""
    data = ChildChanged(household_id=member.household_id, child=member_snapshot(member, person))
    return _event(CHILD_REGISTERED, member.household_id, data)


def child_updated(member: HouseholdMember, person: Person) -> CloudEvent:
    """`kamkor.registry.child.updated.v1`: a child's record or care changed."""
    data = ChildChanged(household_id=member.household_id, child=member_snapshot(member, person))
    return _event(CHILD_UPDATED, member.household_id, data)


def child_moved(
    member: HouseholdMember, person: Person, *, from_household_id: str, moved_on: date
) -> CloudEvent:
    """`kamkor.registry.child.moved.v1`, keyed by the household the child moved to."""
    data = ChildMoved(
        household_id=member.household_id,
        person_id=person.id,
        from_household_id=from_household_id,
        moved_on=moved_on,
        child=member_snapshot(member, person),
    )
    return _event(CHILD_MOVED, member.household_id, data)
