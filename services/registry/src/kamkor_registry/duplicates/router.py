"""HTTP routes of possible duplicates, for supervisors (their region) and admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.duplicates import service
from kamkor_registry.duplicates.schemas import (
    CandidateList,
    CandidateStatusName,
    DismissRequest,
    HouseholdMergeRequest,
    MergeRequest,
    PairRead,
)
from kamkor_registry.etag import IfMatch, etag, require_if_match
from kamkor_registry.households.schemas import HouseholdRead

router = APIRouter(prefix="/api/v1/registry", tags=["duplicates"])

Reviewer = Annotated[Principal, Depends(require_roles("supervisor", "admin"))]


@router.get("/duplicates", response_model=CandidateList)
async def list_candidates(
    session: SessionDep,
    principal: Reviewer,
    page: Annotated[PageParams, Depends(page_params)],
    district: Annotated[str | None, Query(max_length=16)] = None,
    status: CandidateStatusName | None = "open",
) -> CandidateList:
    """Possible duplicates found on registration, oldest first; open ones by default."""
    return await service.list_candidates(
        session=session, principal=principal, district=district, status=status, page=page
    )


@router.get("/duplicates/{candidate_id}", response_model=PairRead)
async def get_pair(
    candidate_id: str,
    session: SessionDep,
    principal: Reviewer,
    purpose: Purpose,
    response: Response,
) -> PairRead:
    """Both records of a pair side by side; the ETag covers both (send it to merge)."""
    pair = await service.get_pair(
        session=session, candidate_id=candidate_id, principal=principal, purpose=purpose
    )
    response.headers["ETag"] = pair.etag
    return pair


@router.post("/duplicates/{candidate_id}/merge", response_model=PairRead)
async def merge_pair(
    candidate_id: str,
    merge_in: MergeRequest,
    session: SessionDep,
    principal: Reviewer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> PairRead:
    """Merge the pair into the record kept; the other becomes a tombstone. Needs If-Match."""
    pair = await service.merge_pair(
        session=session,
        candidate_id=candidate_id,
        keep_person_id=merge_in.keep_person_id,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = pair.etag
    return pair


@router.post("/duplicates/{candidate_id}/dismiss", response_model=PairRead)
async def dismiss(
    candidate_id: str,
    dismiss_in: DismissRequest,
    session: SessionDep,
    principal: Reviewer,
    purpose: Purpose,
) -> PairRead:
    """The two records are two people: close the pair, saying why."""
    return await service.dismiss(
        session=session,
        candidate_id=candidate_id,
        reason=dismiss_in.reason,
        principal=principal,
        purpose=purpose,
    )


@router.post("/households/{household_id}/merge", response_model=HouseholdRead)
async def merge_households(
    household_id: str,
    merge_in: HouseholdMergeRequest,
    session: SessionDep,
    principal: Reviewer,
    purpose: Purpose,
    response: Response,
    if_match: IfMatch = None,
) -> HouseholdRead:
    """Merge this household, registered twice, into another; answers the kept one.

    Needs If-Match with this (the merged) household's ETag."""
    household = await service.merge_households(
        session=session,
        household_id=household_id,
        into_household_id=merge_in.into_household_id,
        if_match=require_if_match(if_match),
        principal=principal,
        purpose=purpose,
    )
    response.headers["ETag"] = etag(household.version)
    return household
