"""Capacity snapshots staged on `shelter.capacity.v1`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, SOURCE, CapacityChanged
from kamkor_common.events.topics import SHELTER_CAPACITY
from kamkor_common.messaging.outbox import add_event


def stage_capacity_changed(
    session: AsyncSession, snapshot: CapacityChanged, *, cause: CloudEvent | None = None
) -> CloudEvent:
    """Stage a full snapshot of one shelter's availability in the caller's transaction."""
    event = new_event(
        source=SOURCE,
        type=CAPACITY_CHANGED,
        key=snapshot.shelter_id,
        subject=f"shelter/{snapshot.shelter_id}",
        data=snapshot,
        cause=cause,
    )
    add_event(session, SHELTER_CAPACITY, event)
    return event
