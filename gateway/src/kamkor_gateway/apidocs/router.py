"""`GET /openapi.json` (merged), `GET /docs` (Swagger UI over it), `GET /asyncapi.json`."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from kamkor_common.events import asyncapi
from kamkor_gateway.apidocs.service import ApiCatalog
from kamkor_gateway.upstreams import UpstreamsDep

router = APIRouter()

# Swagger UI comes from its CDN; its one inline script is allowed by its hash alone.
SWAGGER_CDN = "https://cdn.jsdelivr.net"
FAVICON_HOST = "https://fastapi.tiangolo.com"
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_csp(html: str) -> str:
    """The page's Content-Security-Policy: its own scripts and styles, calls to this host."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in INLINE_SCRIPT.findall(html)
    )
    return (
        f"default-src 'none'; script-src {SWAGGER_CDN} {hashes}; "
        # Swagger UI sets style attributes as it renders.
        f"style-src {SWAGGER_CDN} 'unsafe-inline'; img-src 'self' data: {FAVICON_HOST}; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    catalog: ApiCatalog = request.app.state.api_catalog
    return JSONResponse(await catalog.document(upstreams))


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=request.scope.get("root_path", "") + "/openapi.json",
        title="Kamkor API",
        swagger_ui_parameters={"persistAuthorization": True},
    )
    page.headers["Content-Security-Policy"] = docs_csp(bytes(page.body).decode())
    return page


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi_document(request: Request) -> JSONResponse:
    """Every topic and event type, as declared in kamkor_common.events.schemas."""
    return JSONResponse(asyncapi.document(request.app.version))
