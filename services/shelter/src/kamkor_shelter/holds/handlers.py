"""The shelter side of the housing saga: bed hold requests from the referral service."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import (
    BED_HOLD_RELEASE_REQUESTED,
    BED_HOLD_REQUESTED,
    BedHoldReleaseRequested,
    BedHoldRequested,
)
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.holds import service

GROUP_ID = "shelter-referrals"


def referral_consumer(settings: ShelterSettings) -> ConsumerSpec:
    """The consumer group that answers hold requests; other referral events are skipped."""
    ttl = timedelta(hours=settings.HOLD_TTL_HOURS)

    async def on_hold_requested(*, session: AsyncSession, event: CloudEvent) -> None:
        request = BedHoldRequested.model_validate(event.data)
        await service.request_hold(session=session, request=request, ttl=ttl, cause=event)

    async def on_release_requested(*, session: AsyncSession, event: CloudEvent) -> None:
        request = BedHoldReleaseRequested.model_validate(event.data)
        await service.release_hold(session=session, request=request, cause=event)

    return ConsumerSpec(
        group_id=GROUP_ID,
        topics=[REFERRAL_REFERRALS],
        handlers={
            BED_HOLD_REQUESTED.type: on_hold_requested,
            BED_HOLD_RELEASE_REQUESTED.type: on_release_requested,
        },
    )
