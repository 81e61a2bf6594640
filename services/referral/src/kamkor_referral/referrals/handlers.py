"""Consumers of `risk.flags.v1` and of the shelters' answers on `shelter.capacity.v1`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import metrics
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.risk import FamilyFlagged
from kamkor_common.events.schemas.shelter import (
    HoldConfirmed,
    HoldPlaced,
    HoldRejected,
    HoldReleased,
)
from kamkor_referral.config import ReferralSettings
from kamkor_referral.needs.schemas import NeedsMapping
from kamkor_referral.referrals import service


@dataclass(frozen=True)
class ReferralHandlers:
    """The referral handlers, bound to the app's settings and the needs mapping they name."""

    settings: ReferralSettings
    mapping: NeedsMapping

    async def on_family_flagged(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.risk.family.flagged.v1`: open or raise one referral per needed service."""
        touched = await service.open_from_flag(
            session=session,
            flagged=FamilyFlagged.model_validate(event.data),
            cause=event,
            mapping=self.mapping,
            settings=self.settings,
        )
        for referral in touched:
            if referral.created_at >= event.time:  # opened by this flag, not raised by it
                metrics.flag_to_referral.record(
                    (referral.created_at - event.time).total_seconds(),
                    {"service_type": referral.service_type, "priority": referral.priority},
                )

    async def on_hold_placed(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.placed.v1`: the bed is held for the family."""
        await service.record_hold_placed(
            session=session, placed=HoldPlaced.model_validate(event.data)
        )

    async def on_hold_confirmed(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.confirmed.v1`: the family arrived, the bed is occupied."""
        await service.record_hold_confirmed(
            session=session, confirmed=HoldConfirmed.model_validate(event.data)
        )

    async def on_hold_rejected(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.shelter.hold.rejected.v1`: move on to the next shelter or partner."""
        await service.record_hold_rejected(
            session=session,
            rejected=HoldRejected.model_validate(event.data),
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
