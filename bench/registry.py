"""Person search on a national register: load time, then search latency by kind of query.

A generated register (bench.registry_data: 2.4 million children by default) is copied into
a fresh PostgreSQL database migrated with the registry's own migrations, with the search
keys made by the registry's own normaliser. Indexes and constraints are dropped for the
copy and rebuilt from their own definitions after it. Then the registry's search service
(the function its route calls, with a real session and its audit entries committed) runs a
warm-up and about a thousand searches for generated children, as a worker types them:
exact Cyrillic, Latin, Latin with typos, without the Kyrgyz letters ң ө ү, the surname
alone, and the name with district and birth year.
"""

# ruff: noqa: RUF002

from __future__ import annotations

import asyncio
import functools
import json
import random
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import asyncpg

from bench.registry_data import (
    HOUSEHOLD_COLUMNS,
    MEMBER_COLUMNS,
    PERSON_COLUMNS,
    QUERY_KINDS,
    Generated,
    Register,
    Target,
)
from bench.report import percentile
from kamkor_common.auth import Principal
from kamkor_common.db import Database, migrate
from kamkor_common.pagination import PageParams
from kamkor_common.testing import create_database, database_url, drop_database
from kamkor_registry.main import MIGRATIONS
from kamkor_registry.search import normalise, service

CHILDREN = 2_400_000
QUERIES = 1000
WARM_UP = 100
BATCH = 5000  # households a copy
TABLES = ("households", "persons", "household_members")
KEY_COLUMNS = ("family_key", "given_key", "full_key")
TARGET_P95_MS = 50.0
# Where a kept database's search targets are written, for measuring it again.
KEPT = Path(__file__).parents[1] / "var" / "bench"
ADMIN = Principal(subject="bench", role="admin")


# The registry's normaliser, remembered: names repeat, and the keys of a name never change.
name_keys = functools.lru_cache(maxsize=500_000)(normalise.name_keys)


def _keyed(person: tuple[object, ...]) -> tuple[object, ...]:
    keys = name_keys(str(person[1]), str(person[2]))
    return (*person, keys.family, keys.given, keys.full)


def _batch(households: Any, size: int) -> list[Generated]:
    batch = []
    for generated in households:
        batch.append(generated)
        if len(batch) == size:
            break
    return batch


def _rows(batch: list[Generated]) -> tuple[list[Any], list[Any], list[Any]]:
    return (
        [g.household for g in batch],
        [_keyed(p) for g in batch for p in g.persons],
        [m for g in batch for m in g.members],
    )


async def _schema_objects(conn: asyncpg.Connection) -> tuple[list[Any], list[Any]]:
    """The constraints of the tables (primary, unique, foreign keys, and other tables' keys
    to them) and their other indexes."""
    constraints = await conn.fetch(
        "SELECT conrelid::regclass::text AS tab, conname, contype::text AS contype, "
        "pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE (conrelid::regclass::text = ANY($1) AND contype IN ('p', 'u', 'f')) "
        "OR (confrelid::regclass::text = ANY($1) AND contype = 'f')",
        list(TABLES),
    )
    indexes = await conn.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY($1) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        list(TABLES),
    )
    return list(constraints), list(indexes)


async def _copy(conn: asyncpg.Connection, register: Register) -> dict[str, float]:
    """Copy the register in; the next batch is generated while the last one is copied."""
    households = register.households()
    counts = dict.fromkeys(TABLES, 0)
    started = time.perf_counter()
    pending = asyncio.create_task(asyncio.to_thread(lambda: _rows(_batch(households, BATCH))))
    while True:
        rows = await pending
        if not rows[0]:
            break
        pending = asyncio.create_task(asyncio.to_thread(lambda: _rows(_batch(households, BATCH))))
        for table, columns, records in zip(
            TABLES,
            (HOUSEHOLD_COLUMNS, PERSON_COLUMNS + KEY_COLUMNS, MEMBER_COLUMNS),
            rows,
            strict=True,
        ):
            await conn.copy_records_to_table(table, records=records, columns=columns)
            counts[table] += len(records)
    return {"seconds": time.perf_counter() - started, **counts}


async def load(url: str, children: int, *, seed: int = 7) -> tuple[dict[str, Any], Register]:
    """Migrate a fresh database and copy a generated register into it."""
    database = Database(url, pool_size=1, max_overflow=0)
    try:
        await migrate(database.engine, MIGRATIONS)
    finally:
        await database.dispose()
    register = Register(children, seed=seed)
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'; SET synchronous_commit = off")
        constraints, indexes = await _schema_objects(conn)
        for row in sorted(constraints, key=lambda r: r["contype"] != "f"):  # foreign keys first
            await conn.execute(f'ALTER TABLE {row["tab"]} DROP CONSTRAINT "{row["conname"]}"')
        for row in indexes:
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        copied = await _copy(conn, register)
        started = time.perf_counter()
        for row in sorted(constraints, key=lambda r: r["contype"] == "f"):  # keys first
            await conn.execute(
                f'ALTER TABLE {row["tab"]} ADD CONSTRAINT "{row["conname"]}" {row["def"]}'
            )
        for row in indexes:
            await conn.execute(row["indexdef"])
        await conn.execute("ANALYZE")
        indexed = time.perf_counter() - started
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    rows = sum(copied[t] for t in TABLES)
    figures = {
        "children": children,
        "persons": copied["persons"],
        "households": copied["households"],
        "rows": rows,
        "copy_s": round(copied["seconds"], 1),
        "index_s": round(indexed, 1),
        "load_s": round(copied["seconds"] + indexed, 1),
        "copy_rows_per_s": round(rows / copied["seconds"]),
        "load_rows_per_s": round(rows / (copied["seconds"] + indexed)),
        "db_size_mb": round(size / 2**20),
    }
    return figures, register


def queries(targets: Sequence[Target], count: int, *, seed: int = 11) -> list[tuple[str, Target]]:
    """`count` searches spread evenly over the kinds, each for a generated child."""
    rng = random.Random(seed)
    chosen: list[tuple[str, Target]] = []
    for n in range(count):
        kind = QUERY_KINDS[n % len(QUERY_KINDS)]
        having = [t for t in targets if kind in t.queries]
        chosen.append((kind, rng.choice(having)))
    return chosen


async def search(database: Database, kind: str, target: Target) -> tuple[float, bool]:
    """One search through the service, as the route runs it: its latency (ms) and whether
    the child sought is on the first page."""
    filtered = kind == "filtered"
    started = time.perf_counter()
    async for session in database.session():
        found = await service.search_persons(
            session=session,
            principal=ADMIN,
            q=target.queries[kind],
            district=target.district if filtered else None,
            birth_year=target.birth_year if filtered else None,
            page=PageParams(),
            purpose="bench",
        )
    elapsed = (time.perf_counter() - started) * 1000
    return elapsed, any(item.person_id == target.person_id for item in found.items)


def _summary(ms: list[float], hits: list[bool]) -> dict[str, Any]:
    return {
        "queries": len(ms),
        "p50_ms": round(percentile(ms, 0.5), 1),
        "p95_ms": round(percentile(ms, 0.95), 1),
        "p99_ms": round(percentile(ms, 0.99), 1),
        "found_on_first_page": f"{sum(hits) / len(hits):.0%}" if hits else "-",
    }


async def measure(
    url: str, targets: Sequence[Target], *, count: int = QUERIES, warm_up: int = WARM_UP
) -> dict[str, dict[str, Any]]:
    database = Database(url, pool_size=2, max_overflow=0)
    try:
        for kind, target in queries(targets, min(warm_up, count // 5), seed=3):
            await search(database, kind, target)
        by_kind: dict[str, tuple[list[float], list[bool]]] = {k: ([], []) for k in QUERY_KINDS}
        for kind, target in queries(targets, count):
            elapsed, hit = await search(database, kind, target)
            by_kind[kind][0].append(elapsed)
            by_kind[kind][1].append(hit)
    finally:
        await database.dispose()
    results = {kind: _summary(ms, hits) for kind, (ms, hits) in by_kind.items() if ms}
    results["all"] = _summary(
        [v for ms, _ in by_kind.values() for v in ms],
        [h for _, hits in by_kind.values() for h in hits],
    )
    return results


async def run(
    children: int = CHILDREN,
    *,
    count: int = QUERIES,
    keep: bool = False,
    database: str | None = None,
) -> dict[str, Any]:
    """Load, measure and drop the database; `keep` leaves it for another look, `database`
    measures one kept before (its load figures are those of the run that kept it)."""
    if database is not None:
        kept = json.loads(_targets_file(database).read_text())
        targets = [Target(**t) for t in kept["targets"]]
        searched = await measure(database_url(database), targets, count=count)
        return {"load": kept["load"], "search": searched, "database": database}
    name = await create_database("registry_bench")
    url = database_url(name)
    try:
        loaded, register = await load(url, children)
        print(f"registry bench: loaded {name}: {loaded}", flush=True)
        if keep:
            _targets_file(name).parent.mkdir(parents=True, exist_ok=True)
            kept = {"load": loaded, "targets": [asdict(t) for t in register.targets]}
            _targets_file(name).write_text(json.dumps(kept))
        searched = await measure(url, register.targets, count=count)
    finally:
        if not keep:
            await drop_database(name)
    return {"load": loaded, "search": searched, "database": name if keep else None}


def _targets_file(database: str) -> Path:
    return KEPT / f"{database}.targets.json"


def table(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(figures["search"])


def notes(figures: dict[str, Any]) -> str:
    loaded = figures["load"]
    overall = figures["search"]["all"]
    verdict = "met" if overall["p95_ms"] <= TARGET_P95_MS else "missed"
    load_note = (
        f"Load: {loaded['children']:,} children and their caregivers "
        f"({loaded['persons']:,} persons, {loaded['households']:,} households, "
        f"{loaded['rows']:,} rows) copied in {loaded['copy_s']} s "
        f"({loaded['copy_rows_per_s']:,} rows/s), indexes and constraints rebuilt in "
        f"{loaded['index_s']} s: {loaded['load_rows_per_s']:,} rows/s end to end; "
        f"database {loaded['db_size_mb']:,} MB.\n\n"
    )
    return (
        load_note
        + "Search through the service layer (admin scope, first page of 50, audit committed), "
        f"after {min(WARM_UP, overall['queries'] // 5)} warm-up searches. "
        f"Target p95 ≤ {TARGET_P95_MS:.0f} ms overall: "
        f"{verdict} ({overall['p95_ms']} ms).\n"
    )
