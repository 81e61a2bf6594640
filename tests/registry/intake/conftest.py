"""Intake jobs on a database of their own, run by the test rather than the app's timer."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from kamkor_common.db import Database, migrate
from kamkor_registry.main import MIGRATIONS

# The bench's generator of field rounds is the tests' too.
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))


@pytest.fixture
async def intake_database(
    make_database: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Database]:
    database = Database(await make_database("intake"), pool_size=2, max_overflow=2)
    await migrate(database.engine, MIGRATIONS)
    yield database
    await database.dispose()
