"""The worker that runs intake jobs: one batch per transaction, resumable after a crash."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from kamkor_common.db import create_sessionmaker, utcnow
from kamkor_common.reference.regions import local_today
from kamkor_registry.intake import columns, repository, service
from kamkor_registry.intake.columns import ColumnsProblem, RawRow
from kamkor_registry.intake.models import FileFormat, JobStatus

log = logging.getLogger("kamkor.registry.intake")

POLL_INTERVAL_S = 1.0
# A running job whose heartbeat is older was left by a worker that stopped: take it over.
STALE_AFTER = timedelta(seconds=120)

Sessions = async_sessionmaker[AsyncSession]


async def run_pending(session: AsyncSession) -> None:
    """The intake timer: run the next job waiting, if any, to its end."""
    # Each batch commits on its own, so the job uses sessions of its own, not the timer's.
    engine = session.bind
    assert isinstance(engine, AsyncEngine)
    await run_next(create_sessionmaker(engine))


async def run_next(sessions: Sessions) -> str | None:
    """Claim the oldest waiting (or abandoned) job and run it; its id, or None."""
    async with sessions() as session, session.begin():
        job = await repository.claim_job(session, stale_before=utcnow() - STALE_AFTER)
        if job is None:
            return None
        service.move(job, JobStatus.running)
        job.started_at = job.started_at or utcnow()
        job.heartbeat_at = utcnow()
        job_id = job.id
    await run_job(sessions, job_id)
    return job_id


def _rows(path: Path, fmt: FileFormat) -> Iterator[RawRow]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as text:
        reader = columns.read_csv if fmt is FileFormat.csv else columns.read_jsonl
        yield from reader(text)


async def _spool(sessions: Sessions, job_id: str, path: Path) -> None:
    async with sessions() as session:
        with path.open("wb") as f:
            async for chunk in repository.read_chunks(session, job_id):
                f.write(chunk)


def _ref(row: RawRow) -> object:
    return None if row.values is None else row.values.get("household_ref")


def batches(rows: Iterator[RawRow], size: int = service.BATCH_ROWS) -> Iterator[list[RawRow]]:
    """Batches of about `size` rows that end where a household's rows end, so that a
    family listed together is registered together (one registered event, as at the API)."""
    batch: list[RawRow] = []
    for row in rows:
        if (len(batch) >= size and _ref(row) != _ref(batch[-1])) or len(batch) >= 2 * size:
            yield batch
            batch = []
        batch.append(row)
    if batch:
        yield batch


async def run_job(sessions: Sessions, job_id: str) -> None:
    """Run a claimed job from the row after the last one reported until the file ends."""
    async with sessions() as session:
        job = await repository.get_job(session, job_id)
        assert job is not None
        fmt = FileFormat(job.format)
        done = await repository.last_row_done(session, job_id)
    with tempfile.TemporaryDirectory(prefix="kamkor-intake-") as tmp:
        path = Path(tmp) / "upload"
        await _spool(sessions, job_id, path)
        try:
            rows = (row for row in _rows(path, fmt) if row.number > done)
            on = local_today()
            for batch in batches(rows):
                async with sessions() as session, session.begin():
                    job = await repository.get_job(session, job_id, for_update=True)
                    assert job is not None
                    await service.process_batch(session=session, job=job, rows=batch, on=on)
        except ColumnsProblem as exc:
            await _finish(sessions, job_id, JobStatus.failed, str(exc))
            return
        except Exception as exc:
            log.exception("intake job %s failed", job_id)
            await _finish(
                sessions, job_id, JobStatus.failed, f"internal error ({type(exc).__name__})"
            )
            return
    await _finish(sessions, job_id, JobStatus.completed, None)


async def _finish(sessions: Sessions, job_id: str, status: JobStatus, error: str | None) -> None:
    async with sessions() as session, session.begin():
        job = await repository.get_job(session, job_id, for_update=True)
        assert job is not None
        service.move(job, status)
        job.error = error[:500] if error else None
        job.finished_at = utcnow()
