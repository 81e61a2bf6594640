"""Screening a household: validate, score with the active rule set, keep flags, publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Forbidden, NotFound
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import VisitRecorded
from kamkor_common.indicators.schemas import AnswerValue
from kamkor_common.pagination import PageParams
from kamkor_risk.households import repository as households_repository
from kamkor_risk.households import service as households_service
from kamkor_risk.households.client import HouseholdNotFound, RegistryClient
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.indicators import service as indicators_service
from kamkor_risk.rules import activation, catalogue
from kamkor_risk.rules import service as rules_service
from kamkor_risk.rules.schemas import DOMAINS, DomainScore, RuleSet, severity_rank
from kamkor_risk.screenings import events, repository
from kamkor_risk.screenings.models import (
    OPEN,
    RESOLVED,
    DomainAssessment,
    RiskFlag,
    Screening,
    ScreeningSource,
)
from kamkor_risk.screenings.repository import FlagFilter
from kamkor_risk.screenings.schemas import (
    DomainAssessmentRead,
    FlagChange,
    FlagChangeKind,
    FlagList,
    FlagRead,
    ScreeningCreate,
    ScreeningCreated,
    ScreeningRead,
)

FLAG_THRESHOLD = severity_rank("medium")


class ScreeningNotFound(NotFound):
    code = "screening_not_found"
    title = "Screening not found"


class HouseholdOutOfScope(Forbidden):
    code = "household_out_of_scope"
    title = "The household lies outside your area"


async def create_screening(
    *,
    session: AsyncSession,
    screening_in: ScreeningCreate,
    principal: Principal,
    rule_set: RuleSet,
    registry: RegistryClient,
    authorization: str,
) -> ScreeningCreated:
    """Score the answers, store the screening, open/update/resolve flags, stage the events."""
    scope = principal.place_scope()
    answers = indicators_service.validate_answers(screening_in.answers)
    household = await households_service.get_for_screening(
        session=session,
        household_id=str(screening_in.household_id),
        registry=registry,
        authorization=authorization,
    )
    if not scope.allows(household.region, household.district):
        raise HouseholdOutOfScope(f"household {household.household_id} is outside your area")
    return await _screen(
        session=session,
        household=household,
        answers=answers,
        rule_set=rule_set,
        created_by=principal.subject,
    )


async def screen_visit(
    *, session: AsyncSession, visit: VisitRecorded, cause: CloudEvent
) -> ScreeningCreated | None:
    """Screen a home visit recorded in the registry, as a screening call would; once per visit.

    The household's read model is refreshed from the event first, so the visit needs no
    registry read. A visit already screened (its event delivered again) changes nothing, and
    neither does one with nothing to weigh (notes only): it would resolve every open flag.
    """
    await households_service.record_snapshot(session=session, snapshot=visit)
    if not visit.indicators:
        return None
    household = await households_repository.get(session, visit.household_id, for_update=True)
    if household is None:  # upserted just above, in this transaction
        raise HouseholdNotFound(f"household {visit.household_id} is not in the read model")
    # Checked under the household's lock, so two deliveries cannot both pass it.
    if await repository.get_screening_by_visit(session, visit.visit_id) is not None:
        return None
    answers = indicators_service.validate_answers(visit.indicators)
    rule_set = await activation.active_rule_set(session, catalogue.installed())
    return await _screen(
        session=session,
        household=household,
        answers=answers,
        rule_set=rule_set,
        created_by=visit.worker,
        source=ScreeningSource.visit,
        visit_id=visit.visit_id,
        cause=cause,
    )


async def _screen(
    *,
    session: AsyncSession,
    household: RiskHousehold,
    answers: dict[str, AnswerValue],
    rule_set: RuleSet,
    created_by: str,
    source: ScreeningSource = ScreeningSource.screening,
    visit_id: str | None = None,
    cause: CloudEvent | None = None,
) -> ScreeningCreated:
    """The core every screening shares: score, store, keep the flags, stage the events."""
    results = rules_service.score(rule_set, answers)
    now = utcnow()
    screening = Screening(
        id=str(uuid.uuid4()),
        household_id=household.household_id,
        answers=answers,
        rule_set_version=rule_set.version,
        created_at=now,
        created_by=created_by,
        source=source,
        visit_id=visit_id,
    )
    await repository.add_screening(
        session,
        screening,
        [
            DomainAssessment(
                screening_id=screening.id,
                domain=result.domain,
                score=result.score,
                severity=result.severity,
                reasons=[reason.model_dump(mode="json") for reason in result.reasons],
            )
            for result in results
        ],
    )
    changes = await _apply_flags(session=session, screening=screening, results=results, now=now)

    open_flag_ids = {c.domain: c.id for c in changes if c.status == OPEN}
    events.stage_screening_completed(
        session, screening=screening, results=results, flag_ids=open_flag_ids, cause=cause
    )
    for change in changes:
        if change.change in ("updated", "resolved"):
            events.stage_flag_changed(session, screening=screening, change=change, cause=cause)
    flagged = [r for r in results if severity_rank(r.severity) >= FLAG_THRESHOLD]
    if flagged:
        events.stage_family_flagged(
            session,
            screening=screening,
            household=household,
            children_ages=households_service.children_ages(household),
            member_sexes=households_service.member_sexes(household),
            flagged=flagged,
            flag_ids=open_flag_ids,
            cause=cause,
        )
    domains = [DomainAssessmentRead.model_validate(r.model_dump()) for r in results]
    return ScreeningCreated(**_screening_read(screening, domains).model_dump(), flags=changes)


async def _apply_flags(
    *,
    session: AsyncSession,
    screening: Screening,
    results: Sequence[DomainScore],
    now: datetime,
) -> list[FlagChange]:
    """Medium or above opens (or updates) the domain's flag; anything lower resolves it."""
    open_flags = await repository.open_flags(session, screening.household_id)
    changes: list[FlagChange] = []
    for result in results:
        flag = open_flags.get(result.domain)
        flagging = severity_rank(result.severity) >= FLAG_THRESHOLD
        if flag is None and not flagging:
            continue
        if flag is None:
            flag = RiskFlag(
                id=str(uuid.uuid4()),
                household_id=screening.household_id,
                domain=result.domain,
                severity=result.severity,
                status=OPEN,
                rule_set_version=screening.rule_set_version,
                opened_at=now,
                updated_at=now,
                last_screening_id=screening.id,
            )
            await repository.add_flag(session, flag)
            changes.append(_change(flag, "opened", None))
            continue
        previous = flag.severity
        flag.rule_set_version = screening.rule_set_version
        flag.last_screening_id = screening.id
        flag.updated_at = now
        if flagging:
            flag.severity = result.severity
            kind: FlagChangeKind = "updated" if previous != flag.severity else "unchanged"
            changes.append(_change(flag, kind, previous))
        else:
            # The flag keeps the severity it had while open; the screening says why it closed.
            flag.status = RESOLVED
            flag.resolved_at = now
            changes.append(_change(flag, "resolved", previous))
    await session.flush()
    return changes


def _change(flag: RiskFlag, kind: FlagChangeKind, previous: str | None) -> FlagChange:
    return FlagChange.model_validate(
        {
            **FlagRead.model_validate(flag).model_dump(),
            "change": kind,
            "previous_severity": previous,
        }
    )


def _screening_read(screening: Screening, domains: Sequence[DomainAssessmentRead]) -> ScreeningRead:
    return ScreeningRead(
        id=screening.id,
        household_id=screening.household_id,
        rule_set_version=screening.rule_set_version,
        answers=screening.answers,
        created_at=screening.created_at,
        created_by=screening.created_by,
        source=ScreeningSource(screening.source),
        visit_id=screening.visit_id,
        domains=list(domains),
    )


async def get_screening(
    *, session: AsyncSession, screening_id: str, principal: Principal
) -> ScreeningRead:
    """A stored screening with its domain results, as scored then."""
    scope = principal.place_scope()
    screening = await repository.get_screening(session, screening_id)
    if screening is None:
        raise ScreeningNotFound(f"screening {screening_id} not found")
    household = await households_repository.get(session, screening.household_id)
    # A screening outside the reader's places answers like a missing one: existence is not leaked.
    if household is None or not scope.allows(household.region, household.district):
        raise ScreeningNotFound(f"screening {screening_id} not found")
    assessments = await repository.list_assessments(session, screening_id)
    domains = [
        DomainAssessmentRead.model_validate(a, from_attributes=True)
        for a in sorted(assessments, key=lambda a: _DOMAIN_ORDER.get(a.domain, len(DOMAINS)))
    ]
    return _screening_read(screening, domains)


async def list_flags(
    *, session: AsyncSession, filters: FlagFilter, principal: Principal, page: PageParams
) -> FlagList:
    """Flags the principal may see, filtered and paged."""
    flags, total = await repository.list_flags(
        session,
        filters=filters,
        scope=principal.place_scope(),
        limit=page.limit,
        offset=page.offset,
    )
    return FlagList(
        items=[FlagRead.model_validate(f) for f in flags],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


_DOMAIN_ORDER: dict[str, int] = {domain: i for i, domain in enumerate(DOMAINS)}
