"""`GET /openapi.json` (merged) and `GET /docs` (Swagger UI over it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

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
