"""Consumer of the registry's household merged event on `registry.households.v1`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import HOUSEHOLD_MERGED
from kamkor_referral.duplicates import service


async def on_household_merged(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.registry.household.merged.v1`: referrals and consents follow the kept one."""
    await service.follow_merge(session=session, merged=HOUSEHOLD_MERGED.parse(event), cause=event)
