"""The search keys migration backfills every person, on PostgreSQL and on SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from kamkor_common.db import alembic_config, create_engine
from kamkor_registry.main import MIGRATIONS

BEFORE = "c4d17f03afcb"
KEYS = "1e3df5b0de2a"


def _to(revision: str, *, down: bool = False) -> Callable[[Connection], None]:
    def _run(connection: Connection) -> None:
        cfg = alembic_config(MIGRATIONS)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)

    return _run


@pytest.fixture(params=["postgresql", "sqlite"])
async def engine(
    request: pytest.FixtureRequest,
    make_database: Callable[[str], Awaitable[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[AsyncEngine]:
    if request.param == "postgresql":
        url = await make_database("registry_keys")
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('keys')}/registry.db"
    engine = create_engine(url, pool_size=1, max_overflow=0)
    yield engine
    await engine.dispose()


class TestSearchKeysMigration:
    async def test_backfills_the_keys_of_people_already_registered(
        self, engine: AsyncEngine
    ) -> None:
        async with engine.begin() as connection:
            await connection.run_sync(_to(BEFORE))
            for person_id, family, given in [
                ("p-1", "Адылбекова", "Айдай"),
                ("p-2", "Omurbekov", "Ymyt"),
            ]:
                await connection.execute(
                    text(
                        "INSERT INTO persons (id, family_name, given_name, sex, birth_date, "
                        "version, created_at) VALUES (:id, :family, :given, 'female', "
                        "'2015-01-01', 1, '2026-01-01 00:00:00+00')"
                    ),
                    {"id": person_id, "family": family, "given": given},
                )
            await connection.run_sync(_to(KEYS))

        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, family_key, given_key, full_key FROM persons ORDER BY id")
                )
            ).all()
        assert [tuple(row) for row in rows] == [
            ("p-1", "adilbekov", "aidai", "adilbekov aidai"),
            ("p-2", "omurbekov", "imit", "omurbekov imit"),
        ]

    async def test_indexes_by_trigram_on_postgresql_only_and_goes_back_down(
        self, engine: AsyncEngine
    ) -> None:
        async with engine.begin() as connection:
            await connection.run_sync(_to(KEYS))
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                definition = await connection.scalar(
                    text(
                        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_persons_family_key'"
                    )
                )
                assert "USING gin" in definition and "gin_trgm_ops" in definition
            else:
                names = (await connection.execute(text("PRAGMA index_list('persons')"))).all()
                assert "ix_persons_family_key" in {row[1] for row in names}
        async with engine.begin() as connection:
            await connection.run_sync(_to(BEFORE, down=True))
        async with engine.connect() as connection:
            columns = await connection.execute(text("SELECT * FROM persons LIMIT 0"))
            assert "family_key" not in list(columns.keys())
