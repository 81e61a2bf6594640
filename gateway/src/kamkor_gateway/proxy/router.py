"""The routes of DESIGN §8, each owned by one service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response

from kamkor_common.auth import CurrentPrincipal
from kamkor_gateway.proxy import service
from kamkor_gateway.upstreams import UpstreamsDep

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]

# Path pattern -> the service that owns it. The services serve these same paths.
ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/registry/{path:path}", "registry"),
    ("/api/v1/risk/{path:path}", "risk"),
    ("/api/v1/referrals", "referral"),
    ("/api/v1/referrals/{path:path}", "referral"),
    ("/api/v1/partners", "referral"),
    ("/api/v1/partners/{path:path}", "referral"),
    ("/api/v1/shelters", "shelter"),
    ("/api/v1/shelters/{path:path}", "shelter"),
    ("/partner/v1/{path:path}", "referral"),
)


def _proxy_to(name: str, within: str) -> Callable[..., Awaitable[Response]]:
    async def proxy(request: Request, _: CurrentPrincipal, upstreams: UpstreamsDep) -> Response:
        # The token is checked here so that junk never reaches a service; it verifies again.
        return await service.forward(
            upstreams=upstreams,
            service=name,
            within=within,
            request=request,
            max_body_bytes=request.app.state.settings.MAX_BODY_BYTES,
        )

    proxy.__name__ = f"proxy_{name}"
    return proxy


router = APIRouter()
for _path, _service in ROUTES:
    # The services' own documents describe these paths; the merged document shows them.
    # A call must stay under the fixed part of its route, e.g. `/api/v1/risk/`.
    _within = _path.split("{", 1)[0]
    router.add_api_route(
        _path, _proxy_to(_service, _within), methods=METHODS, include_in_schema=False
    )
