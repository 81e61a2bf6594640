"""The gateway's migrations build exactly the tables its models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import create_engine, migrate
from kamkor_gateway.main import MIGRATIONS
from kamkor_gateway.models import metadata

TABLES = {"api_clients", "api_client_audit"}


def _ours(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table":
        return name in TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in TABLES


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_object": _ours}
    )
    return list(compare_metadata(context, metadata))


async def _migrated_differences(engine: AsyncEngine) -> list[Any]:
    try:
        await migrate(engine, MIGRATIONS)
        async with engine.connect() as connection:
            return await connection.run_sync(_differences)
    finally:
        await engine.dispose()


class TestMigrations:
    async def test_postgresql_matches_the_models(self, make_database):
        engine = create_engine(await make_database("gateway_migrations"))
        assert await _migrated_differences(engine) == []

    async def test_sqlite_matches_the_models(self, tmp_path):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/gateway.db")
        assert await _migrated_differences(engine) == []

    def test_revisions_import_no_gateway_code(self):
        revisions = sorted((MIGRATIONS / "versions").glob("*.py"))
        assert revisions
        for revision in revisions:
            assert "import kamkor" not in revision.read_text(), revision.name
