"""Capacity snapshots staged on `shelter.capacity.v1`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, CapacityChanged
from kamkor_common.messaging.outbox import stage


def stage_capacity_changed(
    session: AsyncSession, snapshot: CapacityChanged, *, cause: CloudEvent | None = None
) -> CloudEvent:
    """Stage a full snapshot of one shelter's availability in the caller's transaction."""
    return stage(session, CAPACITY_CHANGED, snapshot, cause=cause)
