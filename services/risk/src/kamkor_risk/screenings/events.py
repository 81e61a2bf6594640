"""The events a screening publishes on `risk.flags.v1`: coded facts only, never names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import risk as risk_events
from kamkor_common.events.schemas.risk import Domain, Sex
from kamkor_common.messaging.outbox import stage
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


def stage_screening_completed(
    session: AsyncSession,
    *,
    screening: Screening,
    results: Sequence[DomainScore],
    flag_ids: Mapping[Domain, str],
    cause: CloudEvent | None = None,
) -> CloudEvent:
    """Every domain's result, flagged or not."""
    return stage(
        session,
        risk_events.SCREENING_COMPLETED,
        risk_events.ScreeningCompleted(
            screening_id=screening.id,
            household_id=screening.household_id,
            rule_set_version=screening.rule_set_version,
            domains=_findings(results, flag_ids),
        ),
        **_lineage(screening, cause),
    )


def stage_family_flagged(
    session: AsyncSession,
    *,
    screening: Screening,
    household: RiskHousehold,
    children_ages: list[int],
    member_sexes: list[Sex] | None = None,
    flagged: Sequence[DomainScore],
    flag_ids: Mapping[Domain, str],
    cause: CloudEvent | None = None,
) -> CloudEvent:
    """What routing needs about the domains at medium or above, and nothing more."""
    return stage(
        session,
        risk_events.FAMILY_FLAGGED,
        risk_events.FamilyFlagged(
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
        **_lineage(screening, cause),
    )


def stage_flag_changed(
    session: AsyncSession,
    *,
    screening: Screening,
    change: FlagChange,
    cause: CloudEvent | None = None,
) -> CloudEvent:
    """A flag whose severity the screening changed, or that it resolved."""
    return stage(
        session,
        risk_events.FLAG_RESOLVED if change.change == "resolved" else risk_events.FLAG_UPDATED,
        risk_events.FlagChanged(
            flag_id=change.id,
            household_id=change.household_id,
            domain=change.domain,
            severity=change.severity,
            previous_severity=change.previous_severity,
            screening_id=screening.id,
            rule_set_version=screening.rule_set_version,
        ),
        **_lineage(screening, cause),
    )


def _lineage(screening: Screening, cause: CloudEvent | None) -> dict[str, Any]:
    """A screening from the API starts its own correlation; one caused by an event (a home
    visit) continues that event's."""
    if cause is not None:
        return {"cause": cause}
    return {"correlation_id": screening.id}
