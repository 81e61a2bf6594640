"""Intake on SQLite (the registry's default for a laptop): a small round, then again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.intake import generate, to_csv
from kamkor_common.auth import Principal
from kamkor_common.db import Database, migrate
from kamkor_registry.households.models import Person
from kamkor_registry.intake import service, worker
from kamkor_registry.intake.models import FileFormat, JobStatus
from kamkor_registry.main import MIGRATIONS

ADMIN = Principal(subject="lead", role="admin")


async def _job(database: Database, path: Path, fmt: FileFormat) -> str:
    digest, size = service.spool_digest(path)
    upload = service.Upload(path=path, sha256=digest, size_bytes=size, format=fmt)
    async with database.sessionmaker() as session, session.begin():
        job, _ = await service.create_job(
            session=session, upload=upload, principal=ADMIN, purpose=None
        )
    assert await worker.run_next(database.sessionmaker) == job.id
    return job.id


class TestSqlite:
    async def test_round_and_a_second_file_of_the_same_rows(self, tmp_path: Path) -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path}/registry.db")
        await migrate(database.engine, MIGRATIONS)
        try:
            generated = generate(2500, seed=3)
            first, second = tmp_path / "a.csv", tmp_path / "b.csv"
            to_csv(generated.rows, first)
            to_csv(list(reversed(generated.rows)), second)
            job_id = await _job(database, first, FileFormat.csv)
            async with database.sessionmaker() as session:
                job = await service.get_job(session=session, job_id=job_id, principal=ADMIN)
                persons = await session.scalar(select(func.count()).select_from(Person))
            assert job.status == JobStatus.completed
            assert job.rows_rejected == len(generated.bad)
            assert job.rows_matched == len(generated.repeats)

            again_id = await _job(database, second, FileFormat.csv)
            async with database.sessionmaker() as session:
                again = await service.get_job(session=session, job_id=again_id, principal=ADMIN)
                assert await session.scalar(select(func.count()).select_from(Person)) == persons
            assert again.rows_committed == 0
            assert again.rows_matched == 2500 - len(generated.bad)
        finally:
            await database.dispose()
