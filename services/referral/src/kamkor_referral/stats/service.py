"""The referral gauges of kamkor_common.metrics, and the analysts' protected aggregates."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import disclosure, metrics
from kamkor_common.db import utcnow
from kamkor_referral.referrals.states import CompletionOutcome, ReferralStatus
from kamkor_referral.stats import repository
from kamkor_referral.stats.schemas import (
    ReferralStatusStats,
    ResponseTimeGroup,
    ResponseTimeStats,
)

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


COMPLETED_PREFIX = f"{ReferralStatus.COMPLETED.value}."


def status_columns(seen_outcomes: set[str]) -> list[str]:
    """Every status, with `completed` split into its outcomes (`completed.got_help`, …).

    A separate outcome table would repeat each place's completed count as its row total, and
    two tables protected apart can give away through that shared figure what each hides.
    """
    outcomes = [o.value for o in CompletionOutcome]
    outcomes += sorted(seen_outcomes - set(outcomes))
    columns: list[str] = []
    for status in ReferralStatus:
        if status == ReferralStatus.COMPLETED:
            columns += [COMPLETED_PREFIX + outcome for outcome in outcomes]
        else:
            columns.append(status.value)
    return columns


async def status_stats(
    *, session: AsyncSession, date_from: date | None, date_to: date | None, region: str | None
) -> ReferralStatusStats:
    """Referrals made in the period by place and where they stand now; counts below 5 hidden."""
    asked = disclosure.breakdown(date_from=date_from, date_to=date_to, region=region)
    since, until = asked.since(), asked.until()
    statuses = await repository.status_counts(session, since=since, until=until, region=region)
    counts = {(place, status): n for place, status, n in statuses}
    outcomes = await repository.outcome_counts(session, since=since, until=until, region=region)
    counts.update({(place, COMPLETED_PREFIX + o): n for place, o, n in outcomes})
    columns = status_columns({o for _, o, _ in outcomes})
    places = asked.places(place for place, _ in counts)
    grid = [[counts.get((p, c), 0) for c in columns] for p in places]
    return ReferralStatusStats(
        counted="referrals made in the period, by their status now",
        breakdown=asked,
        rule=disclosure.DisclosureRule(),
        table=disclosure.protect(grid, rows=places, columns=columns),
    )


async def response_time_stats(
    *, session: AsyncSession, date_from: date | None, date_to: date | None, region: str | None
) -> ResponseTimeStats:
    """Median and 90th percentile hours to a partner's answer, by priority and answer."""
    asked = disclosure.breakdown(date_from=date_from, date_to=date_to, region=region)
    rows = await repository.response_hours(
        session, since=asked.since(), until=asked.until(), region=region
    )
    hours: dict[tuple[str, str], list[float]] = defaultdict(list)
    referrals: dict[tuple[str, str], set[str]] = defaultdict(set)
    for priority, outcome, referral_id, taken in rows:
        hours[(priority, outcome)].append(taken)
        referrals[(priority, outcome)].add(referral_id)
    rule = disclosure.DisclosureRule()
    groups = []
    for priority in PRIORITIES:
        for outcome in repository.ANSWERED:
            key = (priority, outcome.value)
            n = len(referrals.get(key, ()))
            # No totals are published beside the groups, so hiding small groups is enough.
            if n < rule.min_cell:
                groups.append(
                    ResponseTimeGroup(
                        priority=priority,
                        outcome=outcome,
                        referrals=None,
                        median_hours=None,
                        p90_hours=None,
                        suppressed=True,
                    )
                )
                continue
            values = hours[key]
            groups.append(
                ResponseTimeGroup(
                    priority=priority,
                    outcome=outcome,
                    referrals=n,
                    median_hours=round(statistics.median(values), 2),
                    p90_hours=round(_p90(values), 2),
                )
            )
    return ResponseTimeStats(
        counted="partners' answers to attempts made in the period (hours from attempt to answer)",
        breakdown=asked,
        rule=rule,
        groups=groups,
    )


def _p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]
