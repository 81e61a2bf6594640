"""The events the households domain publishes: identifiers and coded facts only."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_REGISTERED,
    HouseholdRegistered,
    MemberFacts,
)
from kamkor_common.messaging.outbox import stage
from kamkor_registry.households.models import Household
from kamkor_registry.households.repository import Membership


def stage_household_registered(
    session: AsyncSession, household: Household, memberships: Sequence[Membership]
) -> CloudEvent:
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
    return stage(session, HOUSEHOLD_REGISTERED, data)
