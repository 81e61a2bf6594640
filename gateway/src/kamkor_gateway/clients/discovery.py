"""The embedded issuer's OpenID discovery document and JWKS, public by nature."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from kamkor_common.issuer import DISCOVERY_PATH, JWKS_PATH, EmbeddedIssuer

router = APIRouter(tags=["oauth"])
# Keys change rarely; verifiers cache them and fetch again on an unknown `kid`.
CACHE = {"Cache-Control": "public, max-age=300"}


def _issuer(request: Request) -> EmbeddedIssuer:
    issuer: EmbeddedIssuer = request.app.state.token_issuer
    return issuer


@router.get(DISCOVERY_PATH, include_in_schema=False)
async def openid_configuration(request: Request) -> JSONResponse:
    body: dict[str, Any] = _issuer(request).discovery(str(request.base_url))
    return JSONResponse(body, headers=CACHE)


@router.get(JWKS_PATH, include_in_schema=False)
async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(_issuer(request).jwks(), headers=CACHE, media_type="application/json")
