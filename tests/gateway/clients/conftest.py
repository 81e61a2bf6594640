"""A gateway with its own PostgreSQL database, in front of the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest


@pytest.fixture(scope="session")
async def clients_gateway(
    start_gateway: Any, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    async with start_gateway(DATABASE_URL=await make_database("gateway_clients")) as client:
        yield client
