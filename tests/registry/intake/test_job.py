"""A field round of 100 000 rows: bad rows reported, repeats matched, a re-upload inert."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from bench.intake import generate, to_csv
from kamkor_common.auth import Principal
from kamkor_common.db import Database
from kamkor_common.events.schemas.registry import (
    CHILD_REGISTERED,
    HOUSEHOLD_REGISTERED,
    HOUSEHOLD_UPDATED,
)
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_registry.audit.models import AuditEntry
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.intake import service, worker
from kamkor_registry.intake.models import FileFormat, IntakeRowResult, JobStatus, RowOutcome

ADMIN = Principal(subject="round-lead", role="admin")
ROWS = 100_000


async def _counts(database: Database) -> dict[str, int]:
    async with database.sessionmaker() as session:
        return {
            name: int(await session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in (
                ("households", Household),
                ("persons", Person),
                ("stays", HouseholdMember),
                ("events", OutboxMessage),
            )
        }


async def _upload(database: Database, path: Path, fmt: FileFormat) -> tuple[str, bool]:
    digest, size = service.spool_digest(path)
    upload = service.Upload(path=path, sha256=digest, size_bytes=size, format=fmt)
    async with database.sessionmaker() as session, session.begin():
        job, created = await service.create_job(
            session=session, upload=upload, principal=ADMIN, purpose="round 2026-H2"
        )
    return job.id, created


async def _outcomes(database: Database, job_id: str) -> dict[int, tuple[str, str | None]]:
    async with database.sessionmaker() as session:
        rows = await session.execute(
            select(
                col(IntakeRowResult.row_number),
                col(IntakeRowResult.outcome),
                col(IntakeRowResult.reason_code),
            ).where(col(IntakeRowResult.job_id) == job_id)
        )
        return {number: (outcome, code) for number, outcome, code in rows.all()}


class TestHundredThousandRows:
    async def test_bad_rows_reported_rest_committed_repeats_matched_reupload_inert(
        self, intake_database: Database, tmp_path: Path
    ) -> None:
        generated = generate(ROWS)
        path = tmp_path / "round.csv"
        to_csv(generated.rows, path)

        job_id, created = await _upload(intake_database, path, FileFormat.csv)
        assert created
        assert await worker.run_next(intake_database.sessionmaker) == job_id

        async with intake_database.sessionmaker() as session:
            job = await service.get_job(session=session, job_id=job_id, principal=ADMIN)
        assert job.status == JobStatus.completed
        assert job.rows_read == ROWS
        assert job.rows_rejected == len(generated.bad)
        assert job.rows_matched == len(generated.repeats)
        assert job.rows_committed == ROWS - len(generated.bad) - len(generated.repeats)

        outcomes = await _outcomes(intake_database, job_id)
        assert len(outcomes) == ROWS  # every row has its result, none dropped
        rejected = {n: code for n, (outcome, code) in outcomes.items() if outcome == "rejected"}
        assert rejected == generated.bad  # each bad row, by its number, with its reason
        matched = {n for n, (outcome, _) in outcomes.items() if outcome == "matched_existing"}
        assert matched == generated.repeats

        after_first = await _counts(intake_database)
        households = {
            r["household_ref"]
            for n, r in enumerate(generated.rows, start=2)
            if n not in generated.bad
        }
        assert after_first["households"] == len(households)
        async with intake_database.sessionmaker() as session:
            registered = await session.scalar(
                select(func.count()).where(
                    col(OutboxMessage.event_type) == HOUSEHOLD_REGISTERED.type
                )
            )
            unkeyed = await session.scalar(select(func.count()).where(col(Person.family_key) == ""))
            audited = await session.scalar(
                select(func.count()).where(col(AuditEntry.entity) == "person")
            )
        # One registered event a household, as at the API; a family whose rows another
        # batch finishes gets what adding a child by hand publishes.
        assert registered == after_first["households"]
        async with intake_database.sessionmaker() as session:
            other = await session.scalars(
                select(OutboxMessage.event_type)
                .where(col(OutboxMessage.event_type) != HOUSEHOLD_REGISTERED.type)
                .distinct()
            )
            assert set(other.all()) <= {CHILD_REGISTERED.type, HOUSEHOLD_UPDATED.type}
        assert unkeyed == 0  # search keys filled for everyone imported
        assert audited == after_first["persons"]

        # The same file again: the same job, nothing new.
        again_id, created = await _upload(intake_database, path, FileFormat.csv)
        assert (again_id, created) == (job_id, False)
        assert await worker.run_next(intake_database.sessionmaker) is None

        # The same rows in another file: a new job, every good row matched, nothing created.
        jsonl = tmp_path / "round.jsonl"
        with jsonl.open("w", encoding="utf-8") as f:
            for row in generated.rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        second_id, created = await _upload(intake_database, jsonl, FileFormat.jsonl)
        assert created
        assert await worker.run_next(intake_database.sessionmaker) == second_id
        second = await _outcomes(intake_database, second_id)
        assert {n + 1 for n, (o, _) in second.items() if o == "rejected"} == set(generated.bad)
        assert sum(1 for o, _ in second.values() if o == RowOutcome.committed) == 0
        assert await _counts(intake_database) == after_first
