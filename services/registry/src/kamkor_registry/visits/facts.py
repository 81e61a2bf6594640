"""Indicators the registry already knows of a household, so a visit need not ask them.

Only what the record shows to be so is stated (a fact that holds, or an age); what the
record does not tell is left out, and the worker's observations always win over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.indicators.schemas import AnswerValue
from kamkor_common.reference.regions import age_on
from kamkor_registry.households.events import is_current
from kamkor_registry.households.models import MigrationStatus, Person, SchoolEnrolment
from kamkor_registry.households.repository import Membership
from kamkor_registry.siblings import repository as siblings_repository

# Who looks after the children when no parent is at home and none is named on a child.
_STAND_IN_ROLES = ("caregiver", "grandparent")


def _caregiver(current: Sequence[Membership]) -> Person | None:
    """The person who cares for the children: named on a child, else a caregiver or
    grandparent when no parent lives at home; the oldest where there are several."""
    persons = {person.id: person for _, person in current}
    named = [
        persons[member.caregiver_person_id]
        for member, _ in current
        if member.role == "child" and member.caregiver_person_id in persons
    ]
    if not named:
        parents_home = [
            p
            for m, p in current
            if m.role == "parent" and p.migration_status in (None, MigrationStatus.home)
        ]
        if parents_home:
            return None
        named = [p for m, p in current if m.role in _STAND_IN_ROLES]
    return min(named, key=lambda p: (p.birth_date, p.id), default=None)


def derive(
    memberships: Sequence[Membership], *, on: date, siblings_separated: bool = False
) -> dict[str, AnswerValue]:
    """The indicators the household's record states, as of `on`."""
    current = [(m, p) for m, p in memberships if is_current(m, on=on)]
    children = [p for m, p in current if m.role == "child"]
    if not children:
        return {}
    facts: dict[str, AnswerValue] = {}
    parents = [p for m, p in current if m.role == "parent"]
    if len(parents) >= 2 and all(p.migration_status == MigrationStatus.abroad for p in parents):
        facts["both_parents_abroad"] = True
    caregiver = _caregiver(current)
    if caregiver is not None:
        facts["caregiver_age"] = age_on(caregiver.birth_date, on)
        if caregiver.disability:
            facts["caregiver_ill_or_disabled"] = True
    if any(c.school_enrolment == SchoolEnrolment.not_enrolled for c in children):
        facts["child_out_of_school"] = True
    if any(c.disability and c.disability_support is False for c in children):
        facts["child_disability_without_support"] = True
    if siblings_separated:
        facts["siblings_separated"] = True
    return facts


async def siblings_apart(
    session: AsyncSession, *, household_id: str, child_ids: Sequence[str]
) -> bool:
    """Whether a child of the household has a sibling (by sibling group) living elsewhere."""
    groups = set((await siblings_repository.groups_of(session, child_ids)).values())
    for group_id in sorted(groups):
        members = await siblings_repository.group_members(session, group_id)
        stays = await siblings_repository.current_child_stays(session, members)
        if any(stay.household_id != household_id for stay in stays.values()):
            return True
    return False


async def household_facts(
    session: AsyncSession, *, household_id: str, memberships: Sequence[Membership], on: date
) -> dict[str, AnswerValue]:
    """The derived indicators of a household, reading its sibling groups as needed."""
    child_ids = [p.id for m, p in memberships if m.role == "child" and is_current(m, on=on)]
    apart = await siblings_apart(session, household_id=household_id, child_ids=child_ids)
    return derive(memberships, on=on, siblings_separated=apart)
