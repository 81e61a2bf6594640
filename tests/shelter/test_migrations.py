"""The migrations build exactly the tables the models describe, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import create_engine, migrate
from kamkor_shelter.main import MIGRATIONS
from kamkor_shelter.models import metadata

# The tables of this service; the shared metadata also holds other services' tables.
TABLES = {
    "shelters",
    "bed_categories",
    "bed_holds",
    "stays",
    "outbox_messages",
    "inbox_messages",
}


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


async def _differences_in(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return await connection.run_sync(_differences)


class TestMigrations:
    async def test_postgresql_matches_the_models(self, shelter):
        assert await _differences_in(shelter.database.engine) == []

    async def test_sqlite_matches_the_models(self, tmp_path):
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/shelter.db")
        try:
            await migrate(engine, MIGRATIONS)
            assert await _differences_in(engine) == []
        finally:
            await engine.dispose()

    def test_revisions_import_no_service_code(self):
        revisions = sorted((MIGRATIONS / "versions").glob("*.py"))
        assert revisions
        for revision in revisions:
            assert "import kamkor" not in revision.read_text(), revision.name
        assert "kamkor" not in (MIGRATIONS / "script.py.mako").read_text()
