"""The events of an intake batch: the same the API publishes, staged in one insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import telemetry
from kamkor_common.db import utcnow
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_REGISTERED,
    HouseholdRegistered,
    MemberFacts,
)
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
    """Outbox rows for the batch's new households, in one multi-row insert."""
    if not registered:
        return
    carrier = telemetry.current_carrier()
    now = utcnow()
    rows = []
    for data in registered:
        event = HOUSEHOLD_REGISTERED.build(data)
        rows.append(
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": HOUSEHOLD_REGISTERED.topic,
                "key": event.partitionkey,
                "payload": event.model_dump_json(),
                "trace_headers": carrier,
                "created_at": now,
            }
        )
    await repository.add_outbox_rows(session, rows)
    # The relay is woken after the commit, as for an event staged one at a time.
    session.sync_session.info["outbox_pending"] = True
