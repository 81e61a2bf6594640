"""Consumers of `shelter.capacity.v1` that keep the availability read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import CapacityChanged
from kamkor_referral.capacity import service


async def on_capacity_changed(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.shelter.capacity.changed.v1`: store the shelter's new snapshot."""
    await service.apply_snapshot(
        session=session, snapshot=CapacityChanged.model_validate(event.data)
    )
