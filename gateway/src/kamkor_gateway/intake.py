"""`kamkor intake FILE`: upload a field round through the gateway and follow its job."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx

JOBS = "/api/v1/registry/intake/jobs"
CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
CHUNK = 1024 * 1024
BAR = 30


def file_format(path: Path, given: str | None) -> str:
    if given:
        return given
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv"


def _chunks(path: Path) -> Iterator[bytes]:
    # Streamed: a file of a whole round never sits in memory.
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _bar(job: dict[str, Any], total: int | None) -> str:
    done = job["rows_read"]
    share = min(done / total, 1.0) if total else 0.0
    filled = int(BAR * share) if total else 0
    counts = (
        f"{done} read · {job['rows_committed']} committed · "
        f"{job['rows_matched']} matched · {job['rows_rejected']} rejected"
    )
    return f"\r[{'#' * filled}{'.' * (BAR - filled)}] {job['status']:<9} {counts}"


def _lines(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


def run(
    path: Path,
    *,
    gateway: str,
    token: str,
    fmt: str | None = None,
    purpose: str | None = None,
    poll_s: float = 0.5,
    timeout_s: float = 3600,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
    client: httpx.Client | None = None,
) -> int:
    """Upload, follow the job with a progress bar, print the summary; 0 when completed."""
    kind = file_format(path, fmt)
    rows_expected = _lines(path) - (1 if kind == "csv" else 0)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": CONTENT_TYPES[kind]}
    params = {"format": kind, "filename": path.name[:255]}
    if purpose:
        params["purpose"] = purpose
    owned = client is None
    http = client or httpx.Client(base_url=gateway, timeout=120)
    try:
        answer = http.post(JOBS, content=_chunks(path), headers=headers, params=params)
        if answer.status_code not in (200, 202):
            print(f"upload refused: {answer.status_code} {answer.text}", file=err)
            return 1
        job = answer.json()
        if answer.status_code == 200:
            print(f"this file was uploaded before: job {job['id']}", file=err)
        else:
            print(f"job {job['id']} accepted", file=err)
        auth = {"Authorization": headers["Authorization"]}
        deadline = time.monotonic() + timeout_s
        while job["status"] in ("queued", "running") and time.monotonic() < deadline:
            print(_bar(job, rows_expected), end="", file=err, flush=True)
            time.sleep(poll_s)
            polled = http.get(f"{JOBS}/{job['id']}", headers=auth)
            polled.raise_for_status()
            job = polled.json()
        print(_bar(job, rows_expected), file=err)
    finally:
        if owned:
            http.close()
    print(
        f"job {job['id']}: {job['status']}; {job['rows_read']} rows read, "
        f"{job['rows_committed']} committed, {job['rows_matched']} matched existing, "
        f"{job['rows_rejected']} rejected",
        file=out,
    )
    if job["rows_rejected"]:
        print(f"rejected rows: GET {gateway}{JOBS}/{job['id']}/rows?outcome=rejected", file=out)
    if job["status"] == "failed":
        print(f"the job failed: {job.get('error')}", file=out)
    return 0 if job["status"] == "completed" else 1


def default_gateway() -> str:
    return os.environ.get("KAMKOR_GATEWAY_URL", "http://127.0.0.1:8000")
