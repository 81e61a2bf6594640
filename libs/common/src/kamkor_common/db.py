"""Async database access (PostgreSQL via asyncpg, SQLite via aiosqlite) and migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from alembic import command
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import AsyncAdaptedQueuePool, StaticPool
from sqlalchemy.types import TypeDecorator


def create_engine(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """An engine tuned for the URL's database (the pool sizes apply to PostgreSQL)."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    # hide_parameters: errors and logs must never carry children's names or PINs.
    # No pre-ping: on asyncpg it costs three round trips (BEGIN, ping, ROLLBACK) before
    # every transaction, more than most transactions themselves. A connection that died
    # instead fails its statement once and is discarded: the request answers 503
    # `database_unavailable` (clients retry under their Idempotency-Key) and a consumer
    # retries the event.
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_recycle=1800,
        hide_parameters=True,
    )


def _sqlite_engine(url: str) -> AsyncEngine:
    """SQLite (the embedded default): one connection per process, WAL, no fsync per commit.

    SQLite lets one writer in at a time and makes the others sleep and poll for the lock
    (up to 100 ms a try), which under load turned milliseconds into seconds. With a single
    pooled connection the process's transactions queue in order instead, without polling;
    each service has a database file of its own, so nothing else contends for it.
    `synchronous=NORMAL` in WAL mode keeps the database consistent after any crash and
    only a power cut can lose the last commits: fine for a development default.
    """
    path = url.split("///", 1)[1] if "///" in url else ""
    if path and ":memory:" not in path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30}}
    if ":memory:" in url:
        kwargs["poolclass"] = StaticPool
    else:
        kwargs |= {
            "poolclass": AsyncAdaptedQueuePool,
            "pool_size": 1,
            "max_overflow": 0,
            "pool_timeout": 120,
        }
    engine = create_async_engine(url, hide_parameters=True, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep attributes readable after commit (no lazy reloads in async code)."""
    return async_sessionmaker(engine, expire_on_commit=False)


class Database:
    """The engine and session factory of one service."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessionmaker = create_sessionmaker(self.engine)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def session(self) -> AsyncIterator[AsyncSession]:
        """The request's unit of work: commits on success, rolls back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(script_location: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    return cfg


async def migrate(engine: AsyncEngine, script_location: Path) -> None:
    """Bring the database up to the newest revision of the service's migration history."""
    cfg = alembic_config(script_location)

    def _upgrade(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render Kamkor's column types as plain SQLAlchemy ones: migrations import no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_alembic_env(target_metadata: Any) -> None:
    """The body of every service's `migrations/env.py`."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through kamkor_common.db.migrate")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that reads back as UTC on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request-scoped session of the service that serves the request."""
    database: Database = request.app.state.database
    async for session in database.session():
        yield session


# scope="function": the commit happens before the response is sent, so a client that got
# its 201 can read what it wrote, and a failed commit is reported instead of lost.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def make_revision(script_location: Path, message: str) -> None:
    """Autogenerate a migration by comparing the models with a scratch SQLite database."""
    import tempfile

    from sqlalchemy import create_engine as create_sync_engine

    cfg = alembic_config(script_location)
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_sync_engine(f"sqlite:///{tmp}/scratch.db")
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()


def upsert_insert(session: AsyncSession, model: Any) -> Any:
    """An INSERT that supports `on_conflict_do_*` on both PostgreSQL and SQLite."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(model)
    return sqlite_insert(model)
