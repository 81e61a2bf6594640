"""Aggregate queries over referrals (gauges, analysts' tables); no family's row leaves here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.states import AttemptOutcome, ReferralStatus
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


# The outcome of a completed referral as the step that completed it recorded it.
UNRECORDED = "unrecorded"
# Answers a partner gave, or a deadline that passed; superseded attempts were never answered.
ANSWERED: tuple[AttemptOutcome, ...] = (
    AttemptOutcome.ACCEPTED,
    AttemptOutcome.REJECTED,
    AttemptOutcome.EXPIRED,
)


def _place(region: str | None) -> Any:
    return col(Referral.region) if region is None else col(Referral.district)


def _period(
    query: Any, created: Any, *, since: datetime | None, until: datetime | None, region: str | None
) -> Any:
    if since is not None:
        query = query.where(created >= since)
    if until is not None:
        query = query.where(created < until)
    if region is not None:
        query = query.where(col(Referral.region) == region)
    return query


async def status_counts(
    session: AsyncSession, *, since: datetime | None, until: datetime | None, region: str | None
) -> list[tuple[str, str, int]]:
    """(place, status, referrals) of the referrals made in the period, completed ones excepted."""
    place = _place(region)
    query = select(place, col(Referral.status), func.count()).where(
        col(Referral.status) != ReferralStatus.COMPLETED
    )
    query = _period(query, col(Referral.created_at), since=since, until=until, region=region)
    rows = await session.execute(query.group_by(place, col(Referral.status)))
    return [(p, status, int(n)) for p, status, n in rows]


async def outcome_counts(
    session: AsyncSession, *, since: datetime | None, until: datetime | None, region: str | None
) -> list[tuple[str, str, int]]:
    """(place, outcome, referrals) of the completed referrals made in the period."""
    query = select(_place(region), col(Referral.history)).where(
        col(Referral.status) == ReferralStatus.COMPLETED
    )
    query = _period(query, col(Referral.created_at), since=since, until=until, region=region)
    counts: Counter[tuple[str, str]] = Counter()
    # The outcome lives in the referral's path of states (JSON), read here rather than in
    # SQL so that PostgreSQL and SQLite run the same query.
    for place, history in await session.execute(query):
        steps = [step for step in history or [] if step.get("status") == ReferralStatus.COMPLETED]
        outcome = steps[-1].get("outcome") if steps else None
        counts[(place, outcome or UNRECORDED)] += 1
    return [(place, outcome, n) for (place, outcome), n in counts.items()]


async def response_hours(
    session: AsyncSession, *, since: datetime | None, until: datetime | None, region: str | None
) -> list[tuple[str, str, str, float]]:
    """(priority, attempt outcome, referral id, hours) of the answered attempts of the period.

    The referral id only lets the caller count referrals per group; it is never published.
    """
    query = (
        select(
            col(Referral.priority),
            col(RoutingAttempt.outcome),
            col(RoutingAttempt.referral_id),
            col(RoutingAttempt.created_at),
            col(RoutingAttempt.decided_at),
        )
        .join(Referral, col(Referral.id) == col(RoutingAttempt.referral_id))
        .where(
            col(RoutingAttempt.outcome).in_(ANSWERED),
            col(RoutingAttempt.decided_at).is_not(None),
        )
    )
    query = _period(query, col(RoutingAttempt.created_at), since=since, until=until, region=region)
    return [
        (priority, outcome, referral_id, max((decided - made).total_seconds(), 0.0) / 3600)
        for priority, outcome, referral_id, made, decided in await session.execute(query)
    ]
