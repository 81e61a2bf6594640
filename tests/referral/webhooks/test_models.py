"""The webhook migration builds exactly the webhook tables the models describe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import create_engine, migrate
from kamkor_referral.main import MIGRATIONS
from kamkor_referral.models import metadata

TABLES = {"webhook_endpoints", "webhook_deliveries", "webhook_attempts"}


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table":
        return name in TABLES
    table = getattr(obj, "table", None)
    return table is not None and table.name in TABLES


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _ours}
    )
    return list(compare_metadata(context, metadata))


async def _differences_in(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(_differences)


class TestWebhookTables:
    async def test_postgresql_matches_the_models(self, referral: Any) -> None:
        assert await _differences_in(referral.database.engine) == []

    async def test_sqlite_matches_the_models(self, tmp_path: Path) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/referral.db")
        try:
            await migrate(engine, MIGRATIONS)
            assert await _differences_in(engine) == []
        finally:
            await engine.dispose()
