"""Limit/offset paging shared by every list endpoint: `{items, total, limit, offset}`."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from kamkor_common.inputs import MAX_OFFSET

T = TypeVar("T")

MAX_LIMIT = 500


class PageParams(BaseModel):
    limit: int = 50
    offset: int = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    # Bounded: an offset past PostgreSQL's bigint would fail in the database, not here.
    offset: Annotated[
        int, Query(ge=0, le=MAX_OFFSET, description="Items to skip, at most 10 000 000.")
    ] = 0,
) -> PageParams:
    """The `limit` and `offset` query parameters; out of range is `422 validation_error`."""
    return PageParams(limit=limit, offset=offset)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
