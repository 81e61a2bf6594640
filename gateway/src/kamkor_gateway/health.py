"""`/livez` (the gateway answers) and `/readyz` (every service behind it is ready)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from kamkor_common.errors import KamkorError
from kamkor_gateway.upstreams import SERVICES, Upstreams, UpstreamsDep

router = APIRouter(tags=["health"])


@router.get("/livez", include_in_schema=False)
async def livez() -> dict[str, str]:
    return {"status": "ok"}


async def _probe(upstreams: Upstreams, service: str, timeout_s: float) -> dict[str, Any]:
    try:
        # Probes run every few seconds; a trace of each would bury the real ones.
        with suppress_http_instrumentation():
            response = await upstreams.get(service, "/readyz", timeout_s=timeout_s)
    except KamkorError as exc:
        return {"status": exc.code, "detail": exc.detail}
    result: dict[str, Any] = {
        "status": "ready" if response.status_code == 200 else "not_ready",
        "http_status": response.status_code,
    }
    if response.status_code != 200:
        try:
            result["detail"] = response.json()
        except ValueError:
            result["detail"] = response.text[:500]
    return result


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    """Ready only when every service answers its own `/readyz` with 200."""
    timeout_s: float = request.app.state.settings.READINESS_TIMEOUT_S
    results = await asyncio.gather(*(_probe(upstreams, name, timeout_s) for name in SERVICES))
    services = dict(zip(SERVICES, results, strict=True))
    ready = all(result["status"] == "ready" for result in results)
    body = {"status": "ready" if ready else "not_ready", "service": "gateway", "services": services}
    return JSONResponse(body, status_code=200 if ready else 503)
