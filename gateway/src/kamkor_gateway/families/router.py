"""`GET /api/v1/families/{household_id}`."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kamkor_common.auth import CurrentPrincipal
from kamkor_gateway.families import service
from kamkor_gateway.families.schemas import FamilyRead
from kamkor_gateway.upstreams import UpstreamsDep

router = APIRouter(prefix="/api/v1/families", tags=["families"])

# The services decide what the caller may see, so they get the caller's own token.
PASSED_HEADERS = ("authorization", "accept-language")

DESCRIPTION = """\
One family at a glance: the registry's household record, the household's risk flags
and its referrals, fetched from the three services at the same time with the caller's
token (each service applies its own access rules).

* The household is required: `404 household_not_found` when the registry has no such
  household; a refusal of the registry (401, 403) is passed on as it came; the registry
  being down is `503 upstream_unavailable`, too slow `504 upstream_timeout`.
* Flags and referrals are best effort: when the risk or the referral service fails or
  refuses, the answer is still `200`, that part is `null`, and `partial` names it
  (`["flags"]`, `["referrals"]` or both). A complete answer has `partial: []`.
"""


@router.get(
    "/{household_id}",
    response_model=FamilyRead,
    summary="One family: household, flags and referrals",
    description=DESCRIPTION,
    responses={
        404: {"description": "No such household (`household_not_found`)."},
        503: {"description": "The registry cannot be reached (`upstream_unavailable`)."},
        504: {"description": "The registry did not answer in time (`upstream_timeout`)."},
    },
)
async def read_family(
    household_id: str, request: Request, _: CurrentPrincipal, upstreams: UpstreamsDep
) -> FamilyRead:
    headers = {name: value for name in PASSED_HEADERS if (value := request.headers.get(name))}
    headers["accept"] = "application/json"
    return await service.compose(upstreams=upstreams, household_id=household_id, headers=headers)
