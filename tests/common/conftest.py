from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from kamkor_common.db import Database
from kamkor_common.testing import create_messaging_tables


@pytest.fixture(scope="session")
async def messaging_db(make_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    """A PostgreSQL database holding only the outbox and inbox tables."""
    database = Database(await make_database("common"))
    await create_messaging_tables(database)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def sqlite_messaging_db(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Database]:
    """The same tables on SQLite: the path `make run` takes."""
    path = tmp_path_factory.mktemp("sqlite") / "messaging.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    await create_messaging_tables(database)
    yield database
    await database.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_messaging_db(
    request: pytest.FixtureRequest, messaging_db: Database, sqlite_messaging_db: Database
) -> Database:
    """Run a test on both databases Kamkor supports."""
    return messaging_db if request.param == "postgresql" else sqlite_messaging_db
