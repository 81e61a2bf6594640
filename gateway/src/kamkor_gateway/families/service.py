"""Composing a family from the registry, risk and referral services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from kamkor_common.errors import KamkorError, NotFound
from kamkor_gateway.families.schemas import FamilyPart, FamilyRead
from kamkor_gateway.upstreams import UpstreamProblem, Upstreams

log = logging.getLogger("kamkor.gateway.families")

# Far more than one household ever has; the services cap a page at 500.
PART_LIMIT = "500"


class HouseholdNotFound(NotFound):
    code = "household_not_found"


async def _household(
    *, upstreams: Upstreams, household_id: str, headers: Mapping[str, str]
) -> httpx.Response | KamkorError:
    path = f"/api/v1/registry/households/{quote(household_id, safe='')}"
    try:
        return await upstreams.get("registry", path, headers=headers)
    except KamkorError as exc:
        return exc


async def _items(
    *,
    upstreams: Upstreams,
    service: str,
    path: str,
    household_id: str,
    headers: Mapping[str, str],
) -> list[dict[str, Any]] | None:
    """The `items` of one list, or None when the service cannot give them now."""
    try:
        response = await upstreams.get(
            service,
            path,
            params={"household_id": household_id, "limit": PART_LIMIT},
            headers=headers,
        )
    except KamkorError as exc:
        log.warning("family %s: %s", household_id, exc.detail)
        return None
    if response.status_code != 200:
        log.warning("family %s: %s answered %s", household_id, service, response.status_code)
        return None
    try:
        items = response.json()["items"]
    except (ValueError, KeyError, TypeError):
        log.warning("family %s: %s answered no item list", household_id, service)
        return None
    return items if isinstance(items, list) else None


async def compose(
    *, upstreams: Upstreams, household_id: str, headers: Mapping[str, str]
) -> FamilyRead:
    """The household, its flags and its referrals, asked for at the same time.

    The household is the core: without it there is no answer. Flags and referrals are
    given when their service answers, and named in `partial` when it does not.
    """
    household, flags, referrals = await asyncio.gather(
        _household(upstreams=upstreams, household_id=household_id, headers=headers),
        _items(
            upstreams=upstreams,
            service="risk",
            path="/api/v1/risk/flags",
            household_id=household_id,
            headers=headers,
        ),
        _items(
            upstreams=upstreams,
            service="referral",
            path="/api/v1/referrals",
            household_id=household_id,
            headers=headers,
        ),
    )
    if isinstance(household, KamkorError):
        raise household
    if household.status_code == 404:
        raise HouseholdNotFound(f"household {household_id} not found", household_id=household_id)
    if household.status_code != 200:
        raise UpstreamProblem.from_response("registry", household)
    partial: list[FamilyPart] = []
    if flags is None:
        partial.append("flags")
    if referrals is None:
        partial.append("referrals")
    return FamilyRead(household=household.json(), flags=flags, referrals=referrals, partial=partial)
