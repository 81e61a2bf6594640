"""Keeping the household read model, from events or, when late, from the registry."""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.schemas.registry import (
    HouseholdMerged,
    HouseholdRegistered,
    VisitRecorded,
)
from kamkor_common.events.schemas.risk import Sex
from kamkor_common.reference.regions import age_on, local_today
from kamkor_risk.households import repository
from kamkor_risk.households.client import HouseholdNotFound, RegistryClient
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.households.schemas import HouseholdFacts, RegistryHousehold


def _facts_of(household: HouseholdRegistered | VisitRecorded | HouseholdMerged) -> HouseholdFacts:
    """The read-model facts an event's snapshot of the household and its members gives."""
    return HouseholdFacts(
        household_id=household.household_id,
        region=household.region,
        district=household.district,
        language=household.language,
        children_birth_dates=[m.birth_date for m in household.members if m.role == "child"],
        member_sexes=[m.sex for m in household.members],
    )


async def record_snapshot(
    *, session: AsyncSession, snapshot: HouseholdRegistered | VisitRecorded
) -> None:
    """Store (or refresh) a household from an event that carries its current members: its
    registration, or a visit."""
    await repository.upsert(session, _facts_of(snapshot))


async def record_merged(*, session: AsyncSession, merged: HouseholdMerged) -> None:
    """A duplicate household was merged into the one kept: the kept household's facts are
    stored from the event's snapshot, the merged one's screenings and flags move to it, and
    its row goes. Running it again changes nothing (nothing names the merged id any more).

    Where both households have an open flag in one domain, the more severe stays open (the
    kept household's on a tie) and the other is resolved: one open flag per domain.
    """
    await repository.upsert(session, _facts_of(merged))
    await repository.move_history(
        session, from_id=merged.merged_household_id, to_id=merged.household_id
    )
    await repository.delete(session, merged.merged_household_id)


async def get_for_screening(
    *,
    session: AsyncSession,
    household_id: str,
    registry: RegistryClient,
    authorization: str,
) -> RiskHousehold:
    """The household, locked for this screening; read from the registry first if its event is late.

    The registry is asked before the row lock is taken and before anything is written, so a
    slow registry holds up no other screening of the household. The lock then serialises
    screenings of one household, so that each domain keeps at most one open flag.
    """
    household = await repository.get(session, household_id, for_update=True)
    if household is None:  # no row, so no lock held while the registry answers
        record = await registry.get_household(household_id, authorization=authorization)
        await repository.upsert(session, facts_from_registry(record))
        household = await repository.get(session, household_id, for_update=True)
    if household is None:  # the registry answered for another id
        raise HouseholdNotFound(f"household {household_id} is not in the registry")
    return household


def facts_from_registry(record: RegistryHousehold, today: date | None = None) -> HouseholdFacts:
    """The read-model facts of a registry record: its current children only."""
    today = today or local_today()
    current = [m for m in record.members if m.until is None or m.until > today]
    sexes = [m.sex for m in current if m.sex is not None]
    return HouseholdFacts(
        household_id=record.id,
        region=record.region,
        district=record.district,
        language=record.language,
        children_birth_dates=[m.birth_date for m in current if m.role == "child"],
        # A registry that answered without sexes tells nothing: unknown, not "nobody".
        member_sexes=sexes if len(sexes) == len(current) else None,
    )


def children_ages(household: RiskHousehold, today: date | None = None) -> list[int]:
    """The children's ages in whole years on Kyrgyzstan's date, youngest first."""
    today = today or local_today()
    return sorted(age_on(date.fromisoformat(d), today) for d in household.children_birth_dates)


def member_sexes(household: RiskHousehold) -> list[Sex] | None:
    """The sexes of the current members, or None when the read model does not know them."""
    if household.member_sexes is None:
        return None
    return [cast(Sex, sex) for sex in household.member_sexes]
