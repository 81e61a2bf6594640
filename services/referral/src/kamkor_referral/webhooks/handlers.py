"""The consumer that turns referral events into webhook deliveries."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.messaging.consumer import ConsumerSpec
from kamkor_referral.webhooks import payloads
from kamkor_referral.webhooks import service as webhook_service

# A group of its own: webhooks read the referral service's own topic, which its main
# consumer group does not, and a slow webhook backlog must never hold up routing.
CONSUMER_GROUP = "referral-webhooks"


async def on_referral_event(*, session: AsyncSession, event: CloudEvent) -> None:
    """Any subscribable referral event: a delivery per endpoint that wants it."""
    await webhook_service.enqueue(session=session, event=event)


def consumer() -> ConsumerSpec:
    """The webhook consumer group, subscribed to every referral event type declared."""
    return ConsumerSpec(
        group_id=CONSUMER_GROUP,
        topics=[REFERRAL_REFERRALS],
        handlers=dict.fromkeys(sorted(payloads.subscribable_types()), on_referral_event),
    )
