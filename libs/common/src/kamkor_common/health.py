"""`/livez` (the process answers) and `/readyz` (database, broker, workers, outbox backlog)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kamkor_common.messaging import outbox

router = APIRouter(tags=["health"])


@router.get("/livez", include_in_schema=False)
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    """Ready when the database answers and the workers have joined the broker.

    A broker outage after that does not make the service unready: writes keep landing
    in the outbox, and the backlog shows here until the relay drains it.
    """
    runtime = request.app.state.runtime
    checks: dict[str, Any] = {}
    ready = True
    try:
        await asyncio.wait_for(runtime.database.ping(), 3)
        async with runtime.database.sessionmaker() as session:
            checks["outbox_backlog"] = await outbox.backlog(session)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        ready = False
    if runtime.workers_enabled:
        relay = runtime.relay
        checks["broker"] = "error" if relay.last_error else "ok"
        if relay.last_error:
            checks["broker_error"] = relay.last_error
        checks["consumers"] = [c.state() for c in runtime.consumers]
        max_gap_s = max(3 * runtime.settings.KAFKA_SESSION_TIMEOUT_MS / 1000, 30)
        if not runtime.topics_ready or not all(c.healthy(max_gap_s) for c in runtime.consumers):
            ready = False
    body = {"status": "ready" if ready else "not_ready", "service": runtime.name, **checks}
    return JSONResponse(body, status_code=200 if ready else 503)
