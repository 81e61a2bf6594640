"""Back-testing a candidate rule set: re-score stored answers with it and with the active one.

The screenings are read in keyset batches and scored as they come, so memory stays flat
whatever the store holds: only the counts, the current household's latest screening and
the first `households_limit` changed households are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.disclosure import UnknownRegion
from kamkor_common.errors import Forbidden, Unprocessable
from kamkor_common.reference.regions import REGIONS_BY_CODE
from kamkor_risk.rules import activation, repository
from kamkor_risk.rules.catalogue import RuleSetCatalogue
from kamkor_risk.rules.repository import ScreeningFilter, StoredAnswers
from kamkor_risk.rules.schemas import (
    DOMAINS,
    SEVERITIES,
    BacktestRequest,
    BacktestResult,
    ChangedHousehold,
    DomainChange,
    HouseholdChangeKind,
    RuleSet,
    Severity,
    severity_rank,
)
from kamkor_risk.rules.service import score

FLAG_THRESHOLD = severity_rank("medium")
CHANGE_KINDS: tuple[HouseholdChangeKind, ...] = ("opened", "closed", "severity_up", "severity_down")


class InvalidWindow(Unprocessable):
    code = "invalid_period"
    title = "The period ends before it starts"


class LimitTooHigh(Unprocessable):
    code = "backtest_limit_too_high"
    title = "The back-test limit is above what one request may re-score"


class RegionOutOfScope(Forbidden):
    code = "region_out_of_scope"
    title = "The region lies outside your area"


def _severities(rule_set: RuleSet, answers: Mapping[str, Any]) -> dict[str, Severity]:
    return {r.domain: r.severity for r in score(rule_set, answers)}


def _change(active: Severity, candidate: Severity) -> HouseholdChangeKind | None:
    before, after = severity_rank(active), severity_rank(candidate)
    was, will = before >= FLAG_THRESHOLD, after >= FLAG_THRESHOLD
    if not was and will:
        return "opened"
    if was and not will:
        return "closed"
    if was and will and after > before:
        return "severity_up"
    if was and will and after < before:
        return "severity_down"
    return None


class _Tally:
    def __init__(self, households_limit: int) -> None:
        self.active = {d: dict.fromkeys(SEVERITIES, 0) for d in DOMAINS}
        self.candidate = {d: dict.fromkeys(SEVERITIES, 0) for d in DOMAINS}
        self.flag_changes = {d: dict.fromkeys(CHANGE_KINDS, 0) for d in DOMAINS}
        self.screenings = 0
        self.households = 0
        self.changed_total = 0
        self.changed: list[ChangedHousehold] = []
        self.households_limit = households_limit

    def count(self, active: Mapping[str, Severity], candidate: Mapping[str, Severity]) -> None:
        self.screenings += 1
        for domain in DOMAINS:
            self.active[domain][active[domain]] += 1
            self.candidate[domain][candidate[domain]] += 1

    def close_household(
        self,
        latest: StoredAnswers,
        active: Mapping[str, Severity],
        candidate: Mapping[str, Severity],
    ) -> None:
        """The household's flags as its latest screening would leave them, under each set."""
        self.households += 1
        changes = []
        for domain in DOMAINS:
            kind = _change(active[domain], candidate[domain])
            if kind is not None:
                self.flag_changes[domain][kind] += 1
                changes.append(
                    DomainChange(
                        domain=domain,
                        change=kind,
                        active_severity=active[domain],
                        candidate_severity=candidate[domain],
                    )
                )
        if changes:
            self.changed_total += 1
            if len(self.changed) < self.households_limit:
                self.changed.append(
                    ChangedHousehold(
                        household_id=latest.household_id,
                        screening_id=latest.screening_id,
                        changes=changes,
                    )
                )


def _filters(request: BacktestRequest, principal: Principal) -> ScreeningFilter:
    scope = principal.place_scope()
    if request.region is not None:
        if request.region not in REGIONS_BY_CODE:
            raise UnknownRegion(f"unknown region {request.region!r}")
        if not scope.everywhere and request.region != scope.region:
            raise RegionOutOfScope(f"region {request.region} is outside your area")
    if request.since and request.until and request.until < request.since:
        raise InvalidWindow(f"until ({request.until}) is before since ({request.since})")
    return ScreeningFilter(
        scope=scope, region=request.region, since=request.since, until=request.until
    )


async def backtest(
    *,
    session: AsyncSession,
    catalogue: RuleSetCatalogue,
    version: str,
    request: BacktestRequest,
    principal: Principal,
    batch_size: int,
    max_screenings: int,
) -> BacktestResult:
    """Counts by domain and severity under both sets, and the households whose flags change."""
    candidate = activation.get_loaded(catalogue, version).rule_set
    active = await activation.active_rule_set(session, catalogue)
    filters = _filters(request, principal)
    limit = request.limit or max_screenings
    if limit > max_screenings:
        raise LimitTooHigh(f"limit {limit} is above {max_screenings}; narrow the window instead")

    tally = _Tally(request.households_limit)
    truncated = False
    latest: tuple[StoredAnswers, dict[str, Severity], dict[str, Severity]] | None = None
    # One more than the limit is read, to know whether the limit cut the window short.
    stream = repository.stream_screenings(session, filters, batch_size=batch_size, limit=limit + 1)
    async for stored in stream:
        if tally.screenings == limit:
            truncated = True
            break
        scored = (
            stored,
            _severities(active, stored.answers),
            _severities(candidate, stored.answers),
        )
        tally.count(scored[1], scored[2])
        if latest is not None and latest[0].household_id != stored.household_id:
            tally.close_household(*latest)
        latest = scored
    if latest is not None:
        tally.close_household(*latest)

    difference = {
        d: {s: tally.candidate[d][s] - tally.active[d][s] for s in SEVERITIES} for d in DOMAINS
    }
    return BacktestResult(
        candidate_version=candidate.version,
        active_version=active.version,
        screenings=tally.screenings,
        households=tally.households,
        truncated=truncated,
        active=tally.active,
        candidate=tally.candidate,
        difference=difference,
        flag_changes=tally.flag_changes,
        changed_households_total=tally.changed_total,
        changed_households=tally.changed,
    )
