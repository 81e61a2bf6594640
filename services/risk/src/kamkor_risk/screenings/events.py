"""The events a screening publishes on `risk.flags.v1`: coded facts only, never names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas import risk as risk_events
from kamkor_common.events.schemas.risk import Domain, Sex
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.rules.schemas import DomainScore
from kamkor_risk.screenings.models import Screening
from kamkor_risk.screenings.schemas import FlagChange


def _findings(
    results: Sequence[DomainScore], flag_ids: Mapping[Domain, str]
) -> list[risk_events.DomainFinding]:
    return [
        risk_events.DomainFinding(
            domain=result.domain,
            score=result.score,
            severity=result.severity,
            reasons=result.reason_codes(),
            flag_id=flag_ids.get(result.domain),
        )
        for result in results
    ]


def screening_completed(
    *, screening: Screening, results: Sequence[DomainScore], flag_ids: Mapping[Domain, str]
) -> CloudEvent:
    """Every domain's result, flagged or not."""
    return new_event(
        source=risk_events.SOURCE,
        type=risk_events.SCREENING_COMPLETED,
        key=screening.household_id,
        subject=f"household/{screening.household_id}",
        correlation_id=screening.id,
        data=risk_events.ScreeningCompleted(
            screening_id=screening.id,
            household_id=screening.household_id,
            rule_set_version=screening.rule_set_version,
            domains=_findings(results, flag_ids),
        ),
    )


def family_flagged(
    *,
    screening: Screening,
    household: RiskHousehold,
    children_ages: list[int],
    member_sexes: list[Sex] | None = None,
    flagged: Sequence[DomainScore],
    flag_ids: Mapping[Domain, str],
) -> CloudEvent:
    """What routing needs about the domains at medium or above, and nothing more."""
    return new_event(
        source=risk_events.SOURCE,
        type=risk_events.FAMILY_FLAGGED,
        key=household.household_id,
        subject=f"household/{household.household_id}",
        correlation_id=screening.id,
        data=risk_events.FamilyFlagged(
            screening_id=screening.id,
            household_id=household.household_id,
            region=household.region,
            district=household.district,
            language=household.language,
            children_ages=children_ages,
            rule_set_version=screening.rule_set_version,
            domains=_findings(flagged, flag_ids),
            member_sexes=member_sexes,
        ),
    )


def flag_changed(*, screening: Screening, change: FlagChange) -> CloudEvent:
    """A flag whose severity the screening changed, or that it resolved."""
    return new_event(
        source=risk_events.SOURCE,
        type=risk_events.FLAG_RESOLVED if change.change == "resolved" else risk_events.FLAG_UPDATED,
        key=change.household_id,
        subject=f"household/{change.household_id}",
        correlation_id=screening.id,
        data=risk_events.FlagChanged(
            flag_id=change.id,
            household_id=change.household_id,
            domain=change.domain,
            severity=change.severity,
            previous_severity=change.previous_severity,
            screening_id=screening.id,
            rule_set_version=screening.rule_set_version,
        ),
    )
