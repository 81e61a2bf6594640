"""HTTP route of the person search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.inputs import PLAIN_TEXT_PATTERN
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.search import service
from kamkor_registry.search.schemas import PersonSearchList

router = APIRouter(prefix="/api/v1/registry/persons", tags=["persons"])

Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.get("/search", response_model=PersonSearchList)
async def search_persons(
    session: SessionDep,
    principal: Reader,
    purpose: Purpose,
    page: Annotated[PageParams, Depends(page_params)],
    q: Annotated[
        str,
        Query(
            min_length=2,
            max_length=200,
            pattern=PLAIN_TEXT_PATTERN,
            description="A name in Cyrillic or Latin, typos allowed: family, given or both.",
        ),
    ],
    district: Annotated[str | None, Query(max_length=16)] = None,
    birth_year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
) -> PersonSearchList:
    """People by name, best match first, among those living in your places; audited."""
    return await service.search_persons(
        session=session,
        principal=principal,
        q=q,
        district=district,
        birth_year=birth_year,
        page=page,
        purpose=purpose,
    )
