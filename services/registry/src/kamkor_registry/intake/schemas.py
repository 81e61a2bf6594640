"""What the intake API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.pagination import Page
from kamkor_registry.intake.models import FileFormat, JobStatus, RowOutcome


class IntakeJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: JobStatus
    format: FileFormat
    filename: str | None
    size_bytes: int
    sha256: str
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows_read: int = Field(description="Rows read from the file so far.")
    rows_committed: int = Field(description="Rows whose child was registered.")
    rows_matched: int = Field(description="Rows whose child was on record already.")
    rows_rejected: int = Field(description="Rows refused, each with its reason.")
    error: str | None = Field(description="Why a failed job stopped.")


class RowWarning(BaseModel):
    code: str
    person_id: str
    field: str
    message: str


class IntakeRowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    row_number: int = Field(description="CSV: the spreadsheet row (header 1); JSON lines: line.")
    outcome: RowOutcome
    household_id: str | None
    person_id: str | None = Field(description="The child registered or matched.")
    reason_code: str | None
    message: str | None
    warnings: list[RowWarning] = Field(default_factory=list)


class IntakeRowList(Page[IntakeRowRead]):
    pass
