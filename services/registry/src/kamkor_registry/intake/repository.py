"""Every query of bulk intake."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.intake.models import (
    HouseholdRef,
    IntakeChunk,
    IntakeJob,
    IntakeRowResult,
    JobStatus,
)

# Bound parameters of one IN list: well under PostgreSQL's 32 767 and SQLite's limits.
IN_CHUNK = 5000


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


async def get_job(
    session: AsyncSession, job_id: str, *, for_update: bool = False
) -> IntakeJob | None:
    return await session.get(IntakeJob, job_id, with_for_update=for_update)


async def job_by_sha256(session: AsyncSession, sha256: str) -> IntakeJob | None:
    return await session.scalar(select(IntakeJob).where(col(IntakeJob.sha256) == sha256))


async def add_job(session: AsyncSession, job: IntakeJob) -> None:
    session.add(job)
    await session.flush()


async def add_chunk(session: AsyncSession, job_id: str, seq: int, data: bytes) -> None:
    await session.execute(insert(IntakeChunk).values(job_id=job_id, seq=seq, data=data))


async def read_chunks(session: AsyncSession, job_id: str) -> AsyncIterator[bytes]:
    """The uploaded file's pieces in order, one at a time (memory stays flat)."""
    seqs = await session.scalars(
        select(col(IntakeChunk.seq))
        .where(col(IntakeChunk.job_id) == job_id)
        .order_by(col(IntakeChunk.seq))
    )
    for seq in list(seqs.all()):
        data = await session.scalar(
            select(col(IntakeChunk.data)).where(
                col(IntakeChunk.job_id) == job_id, col(IntakeChunk.seq) == seq
            )
        )
        yield bytes(data or b"")


async def claim_job(session: AsyncSession, *, stale_before: datetime) -> IntakeJob | None:
    """The oldest queued job, or a running one whose worker stopped beating; locked."""
    query = (
        select(IntakeJob)
        .where(
            or_(
                col(IntakeJob.status) == JobStatus.queued,
                (col(IntakeJob.status) == JobStatus.running)
                & (col(IntakeJob.heartbeat_at) < stale_before),
            )
        )
        .order_by(col(IntakeJob.created_at))
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(query)


async def last_row_done(session: AsyncSession, job_id: str) -> int:
    """The highest row number already reported: a job taken over resumes after it."""
    value = await session.scalar(
        select(func.max(IntakeRowResult.row_number)).where(col(IntakeRowResult.job_id) == job_id)
    )
    return int(value or 0)


async def list_rows(
    session: AsyncSession, job_id: str, *, outcome: str | None, limit: int, offset: int
) -> tuple[list[IntakeRowResult], int]:
    query = select(IntakeRowResult).where(col(IntakeRowResult.job_id) == job_id)
    if outcome is not None:
        query = query.where(col(IntakeRowResult.outcome) == outcome)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(IntakeRowResult.row_number)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def refs_for(session: AsyncSession, refs: Sequence[str]) -> dict[tuple[str, str], str]:
    """(district, ref) -> household id, for the refs a batch names."""
    found: dict[tuple[str, str], str] = {}
    for chunk in _chunks(sorted(set(refs))):
        rows = await session.execute(
            select(
                col(HouseholdRef.district), col(HouseholdRef.ref), col(HouseholdRef.household_id)
            ).where(col(HouseholdRef.ref).in_(chunk))
        )
        for district, ref, household_id in rows.all():
            found[(district, ref)] = household_id
    return found


PersonFacts = tuple[str, str, Any, str | None]  # id, sex, birth date, merged_into


async def persons_by_pin(session: AsyncSession, pins: Sequence[str]) -> dict[str, PersonFacts]:
    found: dict[str, PersonFacts] = {}
    for chunk in _chunks(sorted(set(pins))):
        rows = await session.execute(
            select(
                col(Person.pin),
                col(Person.id),
                col(Person.sex),
                col(Person.birth_date),
                col(Person.merged_into),
            ).where(col(Person.pin).in_(chunk))
        )
        for pin, person_id, sex, birth_date, merged_into in rows.all():
            if pin is not None:
                found[pin] = (person_id, sex, birth_date, merged_into)
    return found


async def members_of(
    session: AsyncSession, household_ids: Sequence[str]
) -> list[tuple[str, str, str, str, Any]]:
    """(household id, person id, family key, given key, birth date) of current stays."""
    found: list[tuple[str, str, str, str, Any]] = []
    for chunk in _chunks(sorted(set(household_ids))):
        rows = await session.execute(
            select(
                col(HouseholdMember.household_id),
                col(Person.id),
                col(Person.family_key),
                col(Person.given_key),
                col(Person.birth_date),
            )
            .join(Person, col(Person.id) == col(HouseholdMember.person_id))
            .where(
                col(HouseholdMember.household_id).in_(chunk),
                col(HouseholdMember.until).is_(None),
            )
        )
        found.extend((h, p, f, g, b) for h, p, f, g, b in rows.all())
    return found


async def current_households(session: AsyncSession, person_ids: Sequence[str]) -> dict[str, str]:
    """Person id -> the household of their current stay (the latest if several)."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        rows = await session.execute(
            select(col(HouseholdMember.person_id), col(HouseholdMember.household_id))
            .where(col(HouseholdMember.person_id).in_(chunk), col(HouseholdMember.until).is_(None))
            .order_by(col(HouseholdMember.since))
        )
        for person_id, household_id in rows.all():
            found[person_id] = household_id
    return found


async def add_row_results(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await insert_rows(session, IntakeRowResult, rows)


async def add_refs(session: AsyncSession, refs: Sequence[dict[str, str]]) -> None:
    if refs:
        await insert_rows(session, HouseholdRef, refs)


async def bump_households(
    session: AsyncSession, household_ids: Sequence[str], at: datetime
) -> None:
    for chunk in _chunks(sorted(set(household_ids))):
        await session.execute(
            update(Household)
            .where(col(Household.id).in_(chunk))
            .values(version=Household.version + 1, updated_at=at)
        )


async def add_outbox_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await insert_rows(session, OutboxMessage, rows)


async def insert_rows(
    session: AsyncSession, model: type[SQLModel], rows: Sequence[dict[str, Any]]
) -> None:
    """A batch of rows in one statement: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    records = [
        tuple(json.dumps(row[name]) if name in json_columns else row[name] for name in names)
        for row in rows
    ]
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    # COPY is several times faster than a multi-row INSERT for the thousands of a batch.
    await driver.copy_records_to_table(table.name, records=records, columns=names)
