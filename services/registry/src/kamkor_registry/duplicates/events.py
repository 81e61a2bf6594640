"""The events of merges: identifiers and coded facts only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_MERGED,
    PERSON_MERGED,
    HouseholdMerged,
    PersonMerged,
)
from kamkor_common.messaging.outbox import stage
from kamkor_registry.households.events import is_current, member_snapshot
from kamkor_registry.households.models import Household
from kamkor_registry.households.repository import Membership


def stage_person_merged(
    session: AsyncSession, *, household_id: str, kept_id: str, merged_id: str
) -> CloudEvent:
    """`kamkor.registry.person.merged.v1`, keyed by a household the two records lived in."""
    data = PersonMerged(household_id=household_id, person_id=kept_id, merged_person_id=merged_id)
    return stage(session, PERSON_MERGED, data)


def stage_household_merged(
    session: AsyncSession,
    kept: Household,
    memberships: Sequence[Membership],
    *,
    merged_id: str,
    on: date,
) -> CloudEvent:
    """`kamkor.registry.household.merged.v1`, keyed by the kept household, with its snapshot."""
    data = HouseholdMerged(
        household_id=kept.id,
        merged_household_id=merged_id,
        version=kept.version,
        region=kept.region,
        district=kept.district,
        language=kept.language,
        members=[member_snapshot(m, p) for m, p in memberships if is_current(m, on=on)],
    )
    return stage(session, HOUSEHOLD_MERGED, data)
