"""Consumer of the registry's consent events on `registry.households.v1`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import CONSENT_RECORDED, CONSENT_WITHDRAWN
from kamkor_referral.consents import service


async def on_consent_recorded(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.registry.consent.recorded.v1`: a consent or legal basis is on record."""
    await service.record(session=session, change=CONSENT_RECORDED.parse(event))


async def on_consent_withdrawn(*, session: AsyncSession, event: CloudEvent) -> None:
    """`kamkor.registry.consent.withdrawn.v1`: the consent no longer allows sharing."""
    await service.record(session=session, change=CONSENT_WITHDRAWN.parse(event), withdrawn=True)
