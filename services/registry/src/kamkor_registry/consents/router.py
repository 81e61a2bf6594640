"""HTTP routes of a household's consents."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.consents import service
from kamkor_registry.consents.models import ConsentScope
from kamkor_registry.consents.schemas import ConsentCreate, ConsentList, ConsentRead

router = APIRouter(prefix="/api/v1/registry/households/{household_id}/consents", tags=["consents"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConsentRead)
async def record_consent(
    household_id: str,
    consent_in: ConsentCreate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
) -> ConsentRead:
    """Record a consent given by a member or guardian, or the legal basis for sharing."""
    return await service.record_consent(
        session=session,
        household_id=household_id,
        consent_in=consent_in,
        principal=principal,
        purpose=purpose,
    )


@router.post("/{consent_id}/withdraw", response_model=ConsentRead)
async def withdraw_consent(
    household_id: str, consent_id: str, session: SessionDep, principal: Writer, purpose: Purpose
) -> ConsentRead:
    """Withdraw a consent; withdrawing one already withdrawn answers it unchanged."""
    return await service.withdraw_consent(
        session=session,
        household_id=household_id,
        consent_id=consent_id,
        principal=principal,
        purpose=purpose,
    )


@router.get("", response_model=ConsentList)
async def list_consents(
    household_id: str,
    session: SessionDep,
    principal: Reader,
    purpose: Purpose,
    page: Annotated[PageParams, Depends(page_params)],
    scope: Annotated[ConsentScope | None, Query()] = None,
) -> ConsentList:
    """The household's consents, newest given first, each saying whether it is active."""
    return await service.list_consents(
        session=session,
        household_id=household_id,
        principal=principal,
        scope=scope,
        page=page,
        purpose=purpose,
    )
