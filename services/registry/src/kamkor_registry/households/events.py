"""The events the households domain publishes: identifiers and coded facts only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import (
    CHILD_MOVED,
    CHILD_REGISTERED,
    CHILD_UPDATED,
    HOUSEHOLD_REGISTERED,
    HOUSEHOLD_UPDATED,
    ChildChanged,
    ChildMoved,
    HouseholdRegistered,
    HouseholdUpdated,
    MemberFacts,
    MemberSnapshot,
)
from kamkor_common.messaging.outbox import stage
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.households.repository import Membership


def member_facts(memberships: Sequence[Membership]) -> list[MemberFacts]:
    """What risk and referral may know of each member: id, role, sex, birth date."""
    return [
        MemberFacts(
            person_id=person.id, role=member.role, sex=person.sex, birth_date=person.birth_date
        )
        for member, person in memberships
    ]


def stage_household_registered(
    session: AsyncSession, household: Household, memberships: Sequence[Membership]
) -> CloudEvent:
    """`kamkor.registry.household.registered.v1`, keyed by the household id."""
    data = HouseholdRegistered(
        household_id=household.id,
        region=household.region,
        district=household.district,
        language=household.language,
        members=member_facts(memberships),
    )
    return stage(session, HOUSEHOLD_REGISTERED, data)


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


def stage_household_updated(
    session: AsyncSession, household: Household, memberships: Sequence[Membership], *, on: date
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
    return stage(session, HOUSEHOLD_UPDATED, data)


def stage_child_registered(
    session: AsyncSession, member: HouseholdMember, person: Person
) -> CloudEvent:
    """`kamkor.registry.child.registered.v1`: a child joined an existing household."""
    data = ChildChanged(household_id=member.household_id, child=member_snapshot(member, person))
    return stage(session, CHILD_REGISTERED, data)


def stage_child_updated(
    session: AsyncSession, member: HouseholdMember, person: Person
) -> CloudEvent:
    """`kamkor.registry.child.updated.v1`: a child's record or care changed."""
    data = ChildChanged(household_id=member.household_id, child=member_snapshot(member, person))
    return stage(session, CHILD_UPDATED, data)


def stage_child_moved(
    session: AsyncSession,
    member: HouseholdMember,
    person: Person,
    *,
    from_household_id: str,
    moved_on: date,
) -> CloudEvent:
    """`kamkor.registry.child.moved.v1`, keyed by the household the child moved to."""
    data = ChildMoved(
        household_id=member.household_id,
        person_id=person.id,
        from_household_id=from_household_id,
        moved_on=moved_on,
        child=member_snapshot(member, person),
    )
    return stage(session, CHILD_MOVED, data)
