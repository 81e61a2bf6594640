"""Screenings and flags: `/api/v1/risk/screenings`, `/api/v1/risk/flags`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from kamkor_common import telemetry
from kamkor_common.auth import Principal, bearer_token, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.events.schemas.risk import Domain
from kamkor_common.pagination import PageParams, page_params
from kamkor_risk.households.dependencies import RegistryClientDep, registry_client_lifespan
from kamkor_risk.rules.dependencies import ActiveRuleSet
from kamkor_risk.screenings import service
from kamkor_risk.screenings.repository import FlagFilter
from kamkor_risk.screenings.schemas import (
    FlagList,
    FlagStatus,
    ScreeningCreate,
    ScreeningCreated,
    ScreeningRead,
)

# Screening may read the registry: the router's lifespan (merged into the app's by FastAPI)
# keeps one pooled registry client for the process.
router = APIRouter(prefix="/api/v1/risk", tags=["screenings"], lifespan=registry_client_lifespan)

Screener = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.post("/screenings", status_code=201, response_model=ScreeningCreated)
async def create_screening(
    screening_in: ScreeningCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Screener,
    rule_set: ActiveRuleSet,
    registry: RegistryClientDep,
) -> ScreeningCreated:
    """Score a household's answers by domain; open, update or resolve its flags."""
    telemetry.tag(household_id=str(screening_in.household_id))
    created = await service.create_screening(
        session=session,
        screening_in=screening_in,
        principal=principal,
        rule_set=rule_set,
        registry=registry,
        authorization=f"Bearer {bearer_token(request)}",
    )
    response.headers["Location"] = f"{router.prefix}/screenings/{created.id}"
    return created


@router.get("/screenings/{screening_id}", response_model=ScreeningRead)
async def get_screening(screening_id: str, session: SessionDep, principal: Reader) -> ScreeningRead:
    return await service.get_screening(
        session=session, screening_id=screening_id, principal=principal
    )


@router.get("/flags", response_model=FlagList)
async def list_flags(
    session: SessionDep,
    principal: Reader,
    household_id: str | None = None,
    status: Annotated[FlagStatus | None, Query()] = None,
    domain: Annotated[Domain | None, Query()] = None,
    page: PageParams = Depends(page_params),
) -> FlagList:
    """Flags, newest change first; filter by household, status and domain."""
    return await service.list_flags(
        session=session,
        filters=FlagFilter(household_id=household_id, status=status, domain=domain),
        principal=principal,
        page=page,
    )
