"""Request dependencies shared by the shelter service's routers."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from pydantic import AfterValidator

from kamkor_common.reference.regions import REGIONS_BY_CODE
from kamkor_shelter.config import ShelterSettings


def _known_region(code: str) -> str:
    if code not in REGIONS_BY_CODE:
        raise ValueError(f"unknown region {code}")
    return code


KnownRegion = Annotated[str, AfterValidator(_known_region)]


async def stale_after(request: Request) -> timedelta:
    """How long unconfirmed beds may go before their shelter counts as stale."""
    settings: ShelterSettings = request.app.state.settings
    return timedelta(hours=settings.STALE_AFTER_HOURS)


StaleAfter = Annotated[timedelta, Depends(stale_after)]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]
