"""The events of an intake batch: the same the API publishes, staged in one insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_REGISTERED,
    HouseholdRegistered,
    MemberFacts,
)
from kamkor_common.messaging import outbox
from kamkor_registry.intake import repository


def household_registered(
    household: dict[str, Any], members: Sequence[tuple[str, dict[str, Any]]]
) -> HouseholdRegistered:
    """`kamkor.registry.household.registered.v1`, as for a household registered by hand."""
    return HouseholdRegistered(
        household_id=household["id"],
        region=household["region"],
        district=household["district"],
        language=household["language"],
        members=[
            MemberFacts(
                person_id=person["id"],
                role=role,
                sex=person["sex"],
                birth_date=person["birth_date"],
            )
            for role, person in members
        ],
    )


async def stage_registered(
    session: AsyncSession, registered: Sequence[HouseholdRegistered]
) -> None:
    """Outbox rows for the batch's new households, in one COPY."""
    await repository.add_outbox_rows(
        session, outbox.bulk_rows(session, HOUSEHOLD_REGISTERED, registered)
    )
