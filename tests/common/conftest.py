from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlmodel import SQLModel

from kamkor_common.db import Database


@pytest.fixture(scope="session")
async def messaging_db(make_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    """A PostgreSQL database holding only the outbox and inbox tables."""
    database = Database(await make_database("common"))
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all,
            tables=[SQLModel.metadata.tables[t] for t in ("outbox_messages", "inbox_messages")],
        )
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def sqlite_messaging_db(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Database]:
    """The same tables on SQLite: the path `make run` takes."""
    path = tmp_path_factory.mktemp("sqlite") / "messaging.db"
    database = Database(f"sqlite+aiosqlite:///{path}")
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all,
            tables=[SQLModel.metadata.tables[t] for t in ("outbox_messages", "inbox_messages")],
        )
    yield database
    await database.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_messaging_db(
    request: pytest.FixtureRequest, messaging_db: Database, sqlite_messaging_db: Database
) -> Database:
    """Run a test on both databases Kamkor supports."""
    return messaging_db if request.param == "postgresql" else sqlite_messaging_db
