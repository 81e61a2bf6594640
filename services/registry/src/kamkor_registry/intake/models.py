"""Tables of bulk intake: jobs, their uploaded bytes, the outcome of every row."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, LargeBinary, String
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id, one_of


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"


# The one table of the job's lifecycle: a running job whose worker died runs again.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.queued: frozenset({JobStatus.running}),
    JobStatus.running: frozenset({JobStatus.running, JobStatus.completed, JobStatus.failed}),
    JobStatus.completed: frozenset(),
    JobStatus.failed: frozenset(),
}


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


class RowOutcome(StrEnum):
    committed = "committed"
    matched_existing = "matched_existing"
    rejected = "rejected"


class IntakeJob(SQLModel, table=True):
    __tablename__ = "intake_jobs"
    __table_args__ = (
        CheckConstraint(one_of("status", JobStatus), name="ck_intake_jobs_status"),
        CheckConstraint(one_of("format", FileFormat), name="ck_intake_jobs_format"),
        Index("ix_intake_jobs_status_created", "status", "created_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # The same file uploaded again is the same job: nothing is registered twice.
    sha256: str = Field(max_length=64, unique=True)
    format: str = Field(max_length=8)
    filename: str | None = Field(default=None, max_length=255)
    size_bytes: int
    status: str = Field(default=JobStatus.queued, max_length=16)
    # Who uploaded, as whom and why: the job registers people on their authority.
    created_by: str = Field(max_length=200)
    role: str = Field(max_length=32)
    region: str | None = Field(default=None, max_length=16)
    districts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    purpose: str | None = Field(default=None, max_length=200)
    rows_read: int = 0
    rows_committed: int = 0
    rows_matched: int = 0
    rows_rejected: int = 0
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    # Moved by every committed batch: a running job whose heartbeat stopped is taken over.
    heartbeat_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class IntakeChunk(SQLModel, table=True):
    """A piece of an uploaded file, kept in the database so any worker process reads it."""

    __tablename__ = "intake_chunks"

    job_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("intake_jobs.id", ondelete="CASCADE"), primary_key=True
        )
    )
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class IntakeRowResult(SQLModel, table=True):
    """What became of one row of a job's file; every row has one, bad rows included."""

    __tablename__ = "intake_rows"
    __table_args__ = (
        CheckConstraint(one_of("outcome", RowOutcome), name="ck_intake_rows_outcome"),
        Index("ix_intake_rows_job_outcome", "job_id", "outcome", "row_number"),
    )

    job_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("intake_jobs.id", ondelete="CASCADE"), primary_key=True
        )
    )
    row_number: int = Field(primary_key=True)
    outcome: str = Field(max_length=16)
    household_id: str | None = Field(default=None, max_length=36)
    person_id: str | None = Field(default=None, max_length=36)
    reason_code: str | None = Field(default=None, max_length=40)
    message: str | None = Field(default=None, max_length=1000)
    warnings: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class HouseholdRef(SQLModel, table=True):
    """A household's reference in the files of a field round or a partner's system."""

    __tablename__ = "intake_household_refs"

    district: str = Field(max_length=16, primary_key=True)
    ref: str = Field(max_length=64, primary_key=True)
    household_id: str = Field(
        sa_column=Column(
            String(36), ForeignKey("households.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
