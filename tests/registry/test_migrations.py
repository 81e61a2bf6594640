"""The registry's migrations build the tables the models describe, constraints included."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import Database, create_engine, migrate
from kamkor_registry.main import MIGRATIONS
from kamkor_registry.models import metadata

TABLES = {
    "households",
    "persons",
    "household_members",
    "consents",
    "home_visits",
    "sibling_groups",
    "sibling_group_members",
    "audit_entries",
    "idempotency_keys",
    "outbox_messages",
    "inbox_messages",
}

BAD_ROWS = [
    # A migration status outside the enum.
    "INSERT INTO persons (id, family_name, given_name, sex, birth_date, migration_status, "
    "version, created_at) VALUES ('p-bad', 'A', 'B', 'male', '2015-01-01', 'nowhere', 1, "
    "'2026-01-01 00:00:00+00')",
    # A consent nobody gave and no law allows.
    "INSERT INTO consents (id, household_id, scope, given_at, recorded_by, recorded_at) "
    "VALUES ('c-bad', 'h-1', 'contact_sharing', '2026-01-01 00:00:00+00', 'x', "
    "'2026-01-01 00:00:00+00')",
]


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


async def _refuses(engine: AsyncEngine, statement: str) -> None:
    async with engine.connect() as connection:
        await connection.execute(
            text(
                "INSERT INTO households (id, region, district, settlement, address, language, "
                "version, created_at, updated_at, created_by) VALUES ('h-1', 'KG-J', 'KG-J-06', "
                "'S', 'A', 'ky', 1, '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00', 'x')"
            )
        )
        with pytest.raises(IntegrityError):
            await connection.execute(text(statement))
        await connection.rollback()


class TestMigrations:
    async def test_postgresql_matches_the_models(self, registry_database: Database) -> None:
        assert await _differences_in(registry_database.engine) == []

    async def test_sqlite_matches_the_models(self, tmp_path: Any) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/registry.db")
        try:
            await migrate(engine, MIGRATIONS)
            assert await _differences_in(engine) == []
        finally:
            await engine.dispose()

    @pytest.mark.parametrize("statement", BAD_ROWS)
    async def test_postgresql_checks_refuse_bad_rows(
        self, registry_database: Database, statement: str
    ) -> None:
        await _refuses(registry_database.engine, statement)

    @pytest.mark.parametrize("statement", BAD_ROWS)
    async def test_sqlite_checks_refuse_bad_rows(self, tmp_path: Any, statement: str) -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/registry.db")
        try:
            await migrate(engine, MIGRATIONS)
            await _refuses(engine, statement)
        finally:
            await engine.dispose()

    def test_revisions_import_no_service_code(self) -> None:
        for revision in sorted((MIGRATIONS / "versions").glob("*.py")):
            assert "import kamkor" not in revision.read_text(), revision.name
