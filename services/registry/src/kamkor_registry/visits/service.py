"""The rules of recording and reading home visits."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import NotFound, Unprocessable
from kamkor_common.indicators.validation import validate_answers
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service
from kamkor_registry.households.events import is_current
from kamkor_registry.visits import events, facts, repository
from kamkor_registry.visits.models import HomeVisit
from kamkor_registry.visits.schemas import VisitCreate, VisitList, VisitRead


class VisitNotFound(NotFound):
    code = "visit_not_found"
    title = "Home visit not found"


class InvalidObservations(Unprocessable):
    code = "invalid_observations"
    title = "Invalid observations"


class InvalidVisitDate(Unprocessable):
    code = "invalid_visit_date"
    title = "Invalid visit date"


async def record_visit(
    *,
    session: AsyncSession,
    household_id: str,
    visit_in: VisitCreate,
    principal: Principal,
    purpose: str | None,
) -> VisitRead:
    """Record a visit, derive what the registry knows, and stage visit recorded for risk."""
    observations = validate_answers(
        visit_in.observations, field="observations", error=InvalidObservations
    )
    today = local_today()
    if visit_in.visited_on > today:
        raise InvalidVisitDate(
            f"visited_on {visit_in.visited_on} is after today ({today})", field="visited_on"
        )
    # Locked: the facts and the event describe the household as it is when the visit commits.
    household = await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal, for_update=True
    )
    memberships = (await households_repository.list_memberships(session, [household.id]))[
        household.id
    ]
    derived = await facts.household_facts(
        session, household_id=household.id, memberships=memberships, on=today
    )
    visit = HomeVisit(
        household_id=household.id,
        round=visit_in.round,
        visited_on=visit_in.visited_on,
        worker=principal.subject,
        observations=observations,
        notes=visit_in.notes,
        facts=derived,
        created_at=utcnow(),
    )
    await repository.add_visit(session, visit)
    _audit(session, principal, AuditAction.create, [visit], purpose)
    events.stage_visit_recorded(
        session,
        visit=visit,
        household=household,
        current=[(m, p) for m, p in memberships if is_current(m, on=today)],
        # What the worker saw wins over what the record says.
        indicators={**derived, **observations},
    )
    return VisitRead.model_validate(visit)


async def get_visit(
    *,
    session: AsyncSession,
    household_id: str,
    visit_id: str,
    principal: Principal,
    purpose: str | None,
) -> VisitRead:
    """One visit of a household in the reader's places; audited."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    visit = await repository.get_visit(session, visit_id)
    if visit is None or visit.household_id != household_id:
        raise VisitNotFound(f"no visit {visit_id} for household {household_id}")
    _audit(session, principal, AuditAction.read, [visit], purpose)
    return VisitRead.model_validate(visit)


async def list_visits(
    *,
    session: AsyncSession,
    household_id: str,
    principal: Principal,
    round: str | None,
    page: PageParams,
    purpose: str | None,
) -> VisitList:
    """A household's visits, latest first, optionally of one round; audited."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    visits, total = await repository.list_visits(
        session, household_id=household_id, round=round, limit=page.limit, offset=page.offset
    )
    _audit(session, principal, AuditAction.read, visits, purpose)
    return VisitList(
        items=[VisitRead.model_validate(v) for v in visits],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    visits: list[HomeVisit],
    purpose: str | None,
) -> None:
    audit_service.record(
        session=session,
        principal=principal,
        action=action,
        touched=[("home_visit", v.id, v.household_id, None) for v in visits],
        purpose=purpose,
    )
