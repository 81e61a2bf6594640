"""`/livez` (the gateway answers) and `/readyz` (every service behind it is ready)."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from kamkor_common.errors import KamkorError
from kamkor_gateway.upstreams import SERVICES, Upstreams, UpstreamsDep

log = logging.getLogger("kamkor.gateway.health")

router = APIRouter(tags=["health"])

ServiceState = Literal["ready", "not_ready", "unreachable"]


@router.get("/livez", include_in_schema=False)
async def livez() -> dict[str, str]:
    return {"status": "ok"}


async def _probe(upstreams: Upstreams, service: str, timeout_s: float) -> ServiceState:
    try:
        # Probes run every few seconds; a trace of each would bury the real ones.
        with suppress_http_instrumentation():
            response = await upstreams.get(service, "/readyz", timeout_s=timeout_s)
    except KamkorError as exc:
        log.warning("%s is unreachable: %s", service, exc.detail)
        return "unreachable"
    if response.status_code != 200:
        # The service's own answer names its broker, database and consumers: it is for
        # the operators' logs, not for whoever asks this public endpoint.
        log.warning("%s is not ready (%s): %s", service, response.status_code, response.text[:500])
        return "not_ready"
    return "ready"


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    """Ready only when every service answers its own `/readyz` with 200."""
    timeout_s: float = request.app.state.settings.READINESS_TIMEOUT_S
    states = await asyncio.gather(*(_probe(upstreams, name, timeout_s) for name in SERVICES))
    ready = all(state == "ready" for state in states)
    body = {
        "status": "ready" if ready else "not_ready",
        "services": dict(zip(SERVICES, states, strict=True)),
    }
    return JSONResponse(body, status_code=200 if ready else 503)
