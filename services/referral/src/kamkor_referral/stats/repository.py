"""Aggregate queries over referrals; no row of one family leaves this module."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.referrals.models import Referral
from kamkor_referral.webhooks.models import EndpointStatus, WebhookEndpoint


async def counts_by_status(session: AsyncSession) -> list[tuple[str, str, str, int]]:
    """(status, service type, priority, count) over all referrals."""
    rows = await session.execute(
        select(
            col(Referral.status), col(Referral.service_type), col(Referral.priority), func.count()
        ).group_by(col(Referral.status), col(Referral.service_type), col(Referral.priority))
    )
    return [(status, service_type, priority, int(n)) for status, service_type, priority, n in rows]


async def oldest_unassigned(session: AsyncSession) -> dict[str, datetime]:
    """Per priority, when the longest-waiting unassigned referral became unassigned."""
    rows = await session.execute(
        select(col(Referral.priority), func.min(col(Referral.updated_at)))
        .where(col(Referral.status) == "unassigned")
        .group_by(col(Referral.priority))
    )
    return {priority: since for priority, since in rows if since is not None}


async def disabled_webhook_endpoints(session: AsyncSession) -> int:
    """Partner webhook endpoints disabled, by a 410 or by hand."""
    count = await session.scalar(
        select(func.count()).where(col(WebhookEndpoint.status) == EndpointStatus.DISABLED)
    )
    return int(count or 0)
