from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlmodel import SQLModel

from kamkor_common.db import Database
from kamkor_common.messaging.inbox import InboxMessage
from kamkor_common.messaging.outbox import OutboxMessage


@pytest.fixture(scope="session")
async def messaging_db(make_database: Callable[[str], Awaitable[str]]) -> AsyncIterator[Database]:
    """A PostgreSQL database holding only the outbox and inbox tables."""
    database = Database(await make_database("common"))
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all,
            tables=[OutboxMessage.__table__, InboxMessage.__table__],  # type: ignore[attr-defined]
        )
    yield database
    await database.dispose()
