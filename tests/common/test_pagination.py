"""Limit/offset paging: out-of-range values are a 422 problem, never a database error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

import httpx
import pytest
from fastapi import Depends, FastAPI

from kamkor_common.errors import install_error_handlers
from kamkor_common.inputs import MAX_OFFSET
from kamkor_common.pagination import MAX_LIMIT, PageParams, page_params


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/items")
    async def items(page: Annotated[PageParams, Depends(page_params)]) -> dict[str, int]:
        return {"limit": page.limit, "offset": page.offset}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestPageParams:
    async def test_defaults_and_the_largest_allowed_values(self, client) -> None:
        default = await client.get("/items")
        largest = await client.get("/items", params={"limit": MAX_LIMIT, "offset": MAX_OFFSET})
        assert default.json() == {"limit": 50, "offset": 0}
        assert largest.json() == {"limit": MAX_LIMIT, "offset": MAX_OFFSET}

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("offset", 2**63),
            ("offset", 2**64 + 1),
            ("offset", MAX_OFFSET + 1),
            ("offset", -1),
            ("limit", 2**63),
            ("limit", 0),
            ("limit", MAX_LIMIT + 1),
        ],
    )
    async def test_out_of_range_is_a_422_naming_the_parameter(self, client, name, value) -> None:
        response = await client.get("/items", params={name: value})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "validation_error"
        assert [e["field"] for e in body["errors"]] == [name]
