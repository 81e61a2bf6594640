"""Shared fixtures: the embedded broker and throw-away PostgreSQL databases."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

os.environ.setdefault("KAMKOR_ENVIRONMENT", "test")
# Several platforms share the test server's 100 connections: small pools per process.
os.environ.setdefault("KAMKOR_DATABASE_POOL_SIZE", "4")
os.environ.setdefault("KAMKOR_DATABASE_MAX_OVERFLOW", "4")

from kamkor_common.messaging.broker import EmbeddedBroker, running_broker
from kamkor_common.testing import create_database, database_url, drop_database


@pytest.fixture(scope="session")
async def broker() -> AsyncIterator[EmbeddedBroker]:
    """One embedded broker for the whole run, with Kamkor's topics created."""
    async with running_broker() as running:
        yield running


@pytest.fixture(scope="session")
async def make_database() -> AsyncIterator[Callable[[str], Awaitable[str]]]:
    """Create PostgreSQL databases on demand; all are dropped at the end of the run."""
    created: list[str] = []

    async def _make(label: str) -> str:
        name = await create_database(label)
        created.append(name)
        return database_url(name)

    yield _make
    for name in created:
        await drop_database(name)
