"""`GET /openapi.json` (merged), `GET /docs` (Swagger UI over it), `GET /asyncapi.json`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from kamkor_common.events import asyncapi
from kamkor_gateway.apidocs.service import ApiCatalog
from kamkor_gateway.upstreams import UpstreamsDep

router = APIRouter()


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request, upstreams: UpstreamsDep) -> JSONResponse:
    catalog: ApiCatalog = request.app.state.api_catalog
    return JSONResponse(await catalog.document(upstreams))


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.scope.get("root_path", "") + "/openapi.json",
        title="Kamkor API",
        swagger_ui_parameters={"persistAuthorization": True},
    )


@router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi_document(request: Request) -> JSONResponse:
    """Every topic and event type, as declared in kamkor_common.events.schemas."""
    return JSONResponse(asyncapi.document(request.app.version))
