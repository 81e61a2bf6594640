"""HTTP routes of the audit trail (auditors and admins only), and the purpose of a request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.inputs import PLAIN_TEXT_PATTERN
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit import service
from kamkor_registry.audit.schemas import AuditEntryList

router = APIRouter(prefix="/api/v1/registry/audit", tags=["audit"])

Auditor = Annotated[Principal, Depends(require_roles("auditor", "admin"))]


async def _purpose(
    x_purpose: Annotated[
        str | None,
        Header(
            alias="X-Purpose",
            max_length=200,
            pattern=PLAIN_TEXT_PATTERN,
            description="Why the record is read or changed; kept in the audit trail.",
        ),
    ] = None,
    purpose: Annotated[
        str | None,
        Query(max_length=200, pattern=PLAIN_TEXT_PATTERN, description="Same as `X-Purpose`."),
    ] = None,
) -> str | None:
    """The request's stated purpose: the `X-Purpose` header, else the `purpose` query."""
    return (x_purpose or purpose or "").strip() or None


Purpose = Annotated[str | None, Depends(_purpose)]


@router.get("", response_model=AuditEntryList)
async def list_audit_entries(
    session: SessionDep,
    principal: Auditor,
    page: Annotated[PageParams, Depends(page_params)],
    household_id: Annotated[str | None, Query(max_length=36)] = None,
    person_id: Annotated[str | None, Query(max_length=36)] = None,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditEntryList:
    """Who read or changed which record, when, in which role and why; newest first."""
    return await service.list_entries(
        session=session,
        household_id=household_id,
        person_id=person_id,
        actor=actor,
        since=since,
        until=until,
        page=page,
    )
