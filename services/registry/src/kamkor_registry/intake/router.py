"""HTTP routes of bulk intake."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import PlainTextResponse

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.errors import Unprocessable
from kamkor_common.inputs import PLAIN_TEXT_PATTERN
from kamkor_common.pagination import PageParams, page_params
from kamkor_registry.audit.router import Purpose
from kamkor_registry.intake import columns, service
from kamkor_registry.intake.models import FileFormat, RowOutcome
from kamkor_registry.intake.schemas import IntakeJobRead, IntakeRowList

router = APIRouter(prefix="/api/v1/registry/intake", tags=["intake"])

# Those who may register households may upload a round of them.
Writer = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]
Reader = Annotated[Principal, Depends(require_roles("social_worker", "supervisor", "admin"))]

CONTENT_TYPES = {
    "text/csv": FileFormat.csv,
    "application/csv": FileFormat.csv,
    "application/x-ndjson": FileFormat.jsonl,
    "application/jsonl": FileFormat.jsonl,
    "application/x-jsonlines": FileFormat.jsonl,
}


class UnknownFormat(Unprocessable):
    code = "intake_format"
    title = "Send CSV (text/csv) or JSON lines (application/x-ndjson)"


def _format(request: Request, given: FileFormat | None) -> FileFormat:
    if given is not None:
        return given
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    found = CONTENT_TYPES.get(media)
    if found is None:
        raise UnknownFormat(f"content type {media or 'missing'}: say ?format=csv or jsonl")
    return found


class CsvResponse(PlainTextResponse):
    media_type = "text/csv"  # documented as such; Starlette adds the charset


@router.get("/template.csv", response_class=CsvResponse)
async def template(_: Writer) -> CsvResponse:
    """The intake columns with one example row, to fill in a spreadsheet."""
    return CsvResponse(
        columns.template_csv(),
        headers={"Content-Disposition": 'attachment; filename="kamkor-intake-template.csv"'},
    )


@router.post(
    "/jobs",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=IntakeJobRead,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
    responses={200: {"model": IntakeJobRead, "description": "This file was uploaded before."}},
)
async def create_job(
    request: Request,
    session: SessionDep,
    principal: Writer,
    purpose: Purpose,
    response: Response,
    format: Annotated[FileFormat | None, Query()] = None,
    filename: Annotated[str | None, Query(max_length=255, pattern=PLAIN_TEXT_PATTERN)] = None,
) -> IntakeJobRead:
    """Upload a round's file (the raw body); rows are registered by a job in the background."""
    fmt = _format(request, format)
    with tempfile.TemporaryDirectory(prefix="kamkor-upload-") as tmp:
        path = Path(tmp) / "upload"
        digest, size = hashlib.sha256(), 0
        # Streamed to disk as it arrives: a large file never sits in memory.
        with path.open("wb") as f:
            async for chunk in request.stream():
                digest.update(chunk)
                size += len(chunk)
                f.write(chunk)
        upload = service.Upload(
            path=path, sha256=digest.hexdigest(), size_bytes=size, format=fmt, filename=filename
        )
        job, created = await service.create_job(
            session=session, upload=upload, principal=principal, purpose=purpose
        )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"{router.prefix}/jobs/{job.id}"
    return job


@router.get("/jobs/{job_id}", response_model=IntakeJobRead)
async def get_job(job_id: str, session: SessionDep, principal: Reader) -> IntakeJobRead:
    """A job's status and counts: rows read, committed, matched, rejected."""
    return await service.get_job(session=session, job_id=job_id, principal=principal)


@router.get("/jobs/{job_id}/rows", response_model=IntakeRowList)
async def list_rows(
    job_id: str,
    session: SessionDep,
    principal: Reader,
    page: Annotated[PageParams, Depends(page_params)],
    outcome: RowOutcome | None = None,
) -> IntakeRowList:
    """The per-row report in file order, e.g. `?outcome=rejected` for the rows to fix."""
    return await service.list_rows(
        session=session, job_id=job_id, principal=principal, outcome=outcome, page=page
    )
