"""Analysts' risk aggregates: count, lay out one table per domain, suppress small cells."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import disclosure
from kamkor_risk.rules.schemas import DOMAINS, SEVERITIES
from kamkor_risk.stats import repository
from kamkor_risk.stats.schemas import DomainTable, RiskStats

# Only these open a flag (DESIGN §5); a flag's severity is the one it has now.
FLAG_SEVERITIES: tuple[str, ...] = ("medium", "high", "critical")


async def flag_stats(
    *,
    session: AsyncSession,
    date_from: date | None,
    date_to: date | None,
    region: str | None,
) -> RiskStats:
    """Flags opened in the period by place, domain and their current severity."""
    asked = disclosure.breakdown(date_from=date_from, date_to=date_to, region=region)
    counts = await repository.flag_counts(
        session, since=asked.since(), until=asked.until(), region=region
    )
    return _stats(asked, counts, FLAG_SEVERITIES, counted="flags opened in the period")


async def screening_stats(
    *,
    session: AsyncSession,
    date_from: date | None,
    date_to: date | None,
    region: str | None,
) -> RiskStats:
    """Screenings of the period by place, domain and the severity each domain scored."""
    asked = disclosure.breakdown(date_from=date_from, date_to=date_to, region=region)
    counts = await repository.assessment_counts(
        session, since=asked.since(), until=asked.until(), region=region
    )
    return _stats(asked, counts, SEVERITIES, counted="screenings made in the period")


def _stats(
    asked: disclosure.Breakdown,
    counts: Sequence[repository.Count],
    severities: Sequence[str],
    *,
    counted: str,
) -> RiskStats:
    # The domains share no published total, so each table is protected on its own.
    places = asked.places(place for place, _, _, _ in counts)
    by_cell = {(place, domain, severity): n for place, domain, severity, n in counts}
    tables = []
    for domain in DOMAINS:
        grid = [[by_cell.get((p, domain, s), 0) for s in severities] for p in places]
        table = disclosure.protect(grid, rows=places, columns=list(severities))
        tables.append(DomainTable(domain=domain, table=table))
    return RiskStats(
        counted=counted, breakdown=asked, rule=disclosure.DisclosureRule(), domains=tables
    )
