"""Consumers of `risk.flags.v1` and of the shelters' answers on `shelter.capacity.v1`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.risk import FamilyFlagged
from kamkor_common.events.schemas.shelter import HoldPlaced, HoldRejected, HoldReleased
from kamkor_referral.needs import service as needs_service
from kamkor_referral.referrals import service


async def on_family_flagged(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.risk.family.flagged.v1`: open or raise one referral per needed service."""
    await service.open_from_flag(
        session=session,
        flagged=FamilyFlagged.model_validate(event.data),
        cause=event,
        mapping=needs_service.active_mapping(),
    )


async def on_hold_placed(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.shelter.hold.placed.v1`: the bed is held for the family."""
    await service.record_hold_placed(session=session, placed=HoldPlaced.model_validate(event.data))


async def on_hold_rejected(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.shelter.hold.rejected.v1`: move on to the next shelter or partner."""
    await service.record_hold_rejected(
        session=session,
        rejected=HoldRejected.model_validate(event.data),
        cause=event,
        mapping=needs_service.active_mapping(),
    )


async def on_hold_released(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.shelter.hold.released.v1` or `.expired.v1`: the held bed is no longer kept."""
    await service.record_hold_released(
        session=session, released=HoldReleased.model_validate(event.data)
    )
