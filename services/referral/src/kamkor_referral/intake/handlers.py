"""Consumer of `risk.flags.v1`: flags open referrals or raise their priority."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import metrics
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.risk import FAMILY_FLAGGED, FLAG_RESOLVED, FLAG_UPDATED
from kamkor_referral.config import ReferralSettings
from kamkor_referral.intake import service
from kamkor_referral.needs.schemas import NeedsMapping


@dataclass(frozen=True)
class IntakeHandlers:
    """The flag handlers, bound to the app's settings and the needs mapping they name."""

    settings: ReferralSettings
    mapping: NeedsMapping

    async def on_family_flagged(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.risk.family.flagged.v1`: open or raise one referral per needed service."""
        touched = await service.open_from_flag(
            session=session,
            flagged=FAMILY_FLAGGED.parse(event),
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

    async def on_flag_updated(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.risk.flag.updated.v1`: raise the priority of the flag's open referrals."""
        await service.record_flag_updated(
            session=session,
            flag=FLAG_UPDATED.parse(event),
            mapping=self.mapping,
            settings=self.settings,
        )

    async def on_flag_resolved(self, *, session: AsyncSession, event: CloudEvent) -> None:
        """`kamkor.risk.flag.resolved.v1`: note it on the flag's open referrals."""
        await service.record_flag_resolved(session=session, flag=FLAG_RESOLVED.parse(event))
