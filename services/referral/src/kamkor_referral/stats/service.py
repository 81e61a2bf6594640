"""Refreshes the referral gauges of kamkor_common.metrics from the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import metrics
from kamkor_common.db import utcnow
from kamkor_referral.stats import repository

PRIORITIES = ("stat", "urgent", "routine")


async def measure(*, session: AsyncSession, now: datetime | None = None) -> None:
    """Referrals by status, type and priority; the oldest unassigned; disabled webhooks."""
    now = now or utcnow()
    counts = await repository.counts_by_status(session)
    metrics.referrals.replace(
        (
            ({"status": status, "service_type": service_type, "priority": priority}, n)
            for status, service_type, priority, n in counts
        ),
        service="referral",
    )
    oldest = await repository.oldest_unassigned(session)
    for priority in PRIORITIES:
        since = oldest.get(priority)
        waited = 0.0 if since is None else max((now - since).total_seconds(), 0.0)
        metrics.referral_unassigned_oldest_age.set(waited, priority=priority)
    metrics.webhook_endpoints_disabled.set(
        await repository.disabled_webhook_endpoints(session), service="referral"
    )
