"""Consumer of the shelters' answers on `shelter.capacity.v1`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import (
    HOLD_CONFIRMED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HoldReleased,
)
from kamkor_referral.config import ReferralSettings
from kamkor_referral.housing import service
from kamkor_referral.needs.schemas import NeedsMapping


@dataclass(frozen=True)
class HousingHandlers:
    """The hold handlers, bound to the app's settings and the needs mapping they name."""

    settings: ReferralSettings
    mapping: NeedsMapping

    async def on_hold_placed(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.placed.v1`: the bed is held for the family."""
        await service.record_hold_placed(session=session, placed=HOLD_PLACED.parse(event))

    async def on_hold_confirmed(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.confirmed.v1`: the family arrived, the bed is occupied."""
        await service.record_hold_confirmed(session=session, confirmed=HOLD_CONFIRMED.parse(event))

    async def on_hold_rejected(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.rejected.v1`: move on to the next shelter or partner."""
        await service.record_hold_rejected(
            session=session,
            rejected=HOLD_REJECTED.parse(event),
            cause=event,
            mapping=self.mapping,
            settings=self.settings,
        )

    async def on_hold_released(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.released.v1` or `.expired.v1`: the held bed is no longer kept."""
        await service.record_hold_released(
            session=session,
            released=HoldReleased.model_validate(event.data),
            cause=event,
            mapping=self.mapping,
        )
