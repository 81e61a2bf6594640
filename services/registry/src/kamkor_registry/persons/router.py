"""HTTP routes of one person's record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_registry.audit.router import Purpose
from kamkor_registry.etag import IfMatch, etag, require_if_match
from kamkor_registry.persons import service
from kamkor_registry.persons.schemas import PersonRead, PersonUpdate

router = APIRouter(prefix="/api/v1/registry/persons", tags=["persons"])

Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[
    Principal, Depends(require_roles("social_worker", "supervisor", "admin", "auditor"))
]


@router.get("/{person_id}", response_model=PersonRead)
async def get_person(
    person_id: str, session: SessionDep, principal: Reader, purpose: Purpose, response: Response
) -> PersonRead:
    """One person's record, their stays in households and PIN warnings; audited."""
    person = await service.get_person(
        session=session, person_id=person_id, principal=principal, purpose=purpose
    )
    response.headers["ETag"] = etag(person.version)
    return person


@router.patch("/{person_id}", response_model=PersonRead)
async def update_person(
    person_id: str,
    person_in: PersonUpdate,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> PersonRead:
    """Change a person's record (names, PIN, disability, school, migration); needs If-Match.

    A PIN that disagrees with the sex or birth date is kept and answered with warnings.
    """
    person = await service.update_person(
        session=session,
        person_id=person_id,
        person_in=person_in,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = etag(person.version)
    return person
