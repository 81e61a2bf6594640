"""The events the households domain publishes: identifiers and coded facts only."""

from __future__ import annotations

from collections.abc import Sequence

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_REGISTERED,
    SOURCE,
    HouseholdRegistered,
    MemberFacts,
)
from kamkor_registry.households.models import Household
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
