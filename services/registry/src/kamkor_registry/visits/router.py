"""HTTP routes of a household's home visits."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.visits import service
from kamkor_registry.visits.schemas import ROUND_PATTERN, VisitCreate, VisitList, VisitRead

router = APIRouter(prefix="/api/v1/registry/households/{household_id}/visits", tags=["visits"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=VisitRead)
async def record_visit(
    household_id: str,
    visit_in: VisitCreate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
) -> VisitRead:
    """Record a home visit with coded observations; the risk service screens it.

    Send an `Idempotency-Key`: a visit resent from a poor connection is recorded once.
    """
    visit = await service.record_visit(
        session=session,
        household_id=household_id,
        visit_in=visit_in,
        principal=principal,
        purpose=purpose,
    )
    response.headers["Location"] = f"/api/v1/registry/households/{household_id}/visits/{visit.id}"
    return visit


@router.get("", response_model=VisitList)
async def list_visits(
    household_id: str,
    session: SessionDep,
    principal: Reader,
    purpose: Purpose,
    page: Annotated[PageParams, Depends(page_params)],
    round: Annotated[str | None, Query(pattern=ROUND_PATTERN)] = None,
) -> VisitList:
    """The household's visits, latest first; `round` narrows to one registration round."""
    return await service.list_visits(
        session=session,
        household_id=household_id,
        principal=principal,
        round=round,
        page=page,
        purpose=purpose,
    )


@router.get("/{visit_id}", response_model=VisitRead)
async def get_visit(
    household_id: str, visit_id: str, session: SessionDep, principal: Reader, purpose: Purpose
) -> VisitRead:
    """One home visit with its observations, notes and the facts derived then; audited."""
    return await service.get_visit(
        session=session,
        household_id=household_id,
        visit_id=visit_id,
        principal=principal,
        purpose=purpose,
    )
