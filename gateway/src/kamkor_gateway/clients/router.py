"""Admins manage API clients (`/api/v1/clients`); clients get tokens (`POST /oauth/token`)."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Annotated
from urllib.parse import parse_qs, unquote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from kamkor_common.auth import Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_gateway.clients import service
from kamkor_gateway.clients.schemas import (
    UUID_PATTERN,
    ApiClientCreate,
    ApiClientList,
    ApiClientRead,
    ApiClientRotate,
    ApiClientSecret,
    OAuthError,
    TokenResponse,
)

log = logging.getLogger("kamkor.gateway.oauth")

router = APIRouter(prefix="/api/v1/clients", tags=["api clients"])
token_router = APIRouter(tags=["oauth"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]
Page = Annotated[PageParams, Depends(page_params)]
# A token request is a few short fields; anything longer is not one.
MAX_TOKEN_REQUEST_BYTES = 4096


@router.post("", status_code=201, response_model=ApiClientSecret)
async def create_client(
    client_in: ApiClientCreate, session: SessionDep, principal: Admin
) -> ApiClientSecret:
    """Create a client; its `client_secret` is answered now and never again."""
    return await service.create(session=session, client_in=client_in, principal=principal)


@router.get("", response_model=ApiClientList)
async def list_clients(
    session: SessionDep,
    principal: Admin,
    page: Page,
    organization_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
) -> ApiClientList:
    items, total = await service.page(
        session=session, organization_id=organization_id, limit=page.limit, offset=page.offset
    )
    return ApiClientList(
        items=[ApiClientRead.model_validate(c) for c in items],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{client_id}", response_model=ApiClientRead)
async def get_client(client_id: str, session: SessionDep, principal: Admin) -> ApiClientRead:
    return ApiClientRead.model_validate(await service.get(session=session, client_id=client_id))


@router.post("/{client_id}/rotate", response_model=ApiClientSecret)
async def rotate_secret(
    client_id: str, session: SessionDep, principal: Admin, rotate: ApiClientRotate | None = None
) -> ApiClientSecret:
    """A new secret, answered once; the old one stops now or after `grace_s` seconds."""
    return await service.rotate(
        session=session,
        client_id=client_id,
        grace_s=(rotate or ApiClientRotate()).grace_s,
        principal=principal,
    )


@router.post("/{client_id}/revoke", response_model=ApiClientRead)
async def revoke_client(client_id: str, session: SessionDep, principal: Admin) -> ApiClientRead:
    """No new tokens for the client; those issued run out within their lifetime."""
    return ApiClientRead.model_validate(
        await service.revoke(session=session, client_id=client_id, principal=principal)
    )


def oauth_error(status: int, error: str, description: str) -> JSONResponse:
    """RFC 6749 §5.2: `{"error": …}`, what OAuth client libraries read."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="kamkor"'
    return JSONResponse(
        {"error": error, "error_description": description}, status_code=status, headers=headers
    )


def _basic_credentials(header: str) -> tuple[str, str] | None:
    """client_id and secret of an HTTP Basic header, form-decoded (RFC 6749 §2.3.1)."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        return None
    return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " "))


@token_router.post(
    "/oauth/token",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthError, "description": "invalid_request, unsupported_grant_type"},
        401: {"model": OAuthError, "description": "invalid_client"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string"},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request, session: SessionDep) -> JSONResponse:
    """The client-credentials grant (RFC 6749 §4.4): a short-lived token for a partner system.

    Credentials in an HTTP Basic header or as `client_id` and `client_secret` in the form.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "send an application/x-www-form-urlencoded body")
    body = await request.body()
    if len(body) > MAX_TOKEN_REQUEST_BYTES:
        return oauth_error(400, "invalid_request", "the request is too long")
    try:
        form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        return oauth_error(400, "invalid_request", "the body is not a form")
    if any(len(values) > 1 for values in form.values()):
        return oauth_error(400, "invalid_request", "a parameter is repeated")
    fields = {name: values[0] for name, values in form.items()}
    grant_type = fields.get("grant_type")
    if not grant_type:
        return oauth_error(400, "invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "only client_credentials is offered")
    header = request.headers.get("authorization")
    in_form = "client_id" in fields or "client_secret" in fields
    if header and in_form:
        return oauth_error(400, "invalid_request", "send the credentials one way, not both")
    credentials = (
        _basic_credentials(header)
        if header
        else (fields.get("client_id", ""), fields.get("client_secret", ""))
    )
    if credentials is None or not all(credentials):
        return oauth_error(401, "invalid_client", "client authentication failed")
    client = await service.authenticate(
        session=session, client_id=credentials[0], client_secret=credentials[1]
    )
    if client is None:
        log.warning("token refused: client authentication failed")
        return oauth_error(401, "invalid_client", "client authentication failed")
    settings = request.app.state.settings
    issued = service.token_for(
        client, issuer=request.app.state.token_issuer, ttl_s=settings.CLIENT_TOKEN_TTL_S
    )
    log.info("token issued to api client %s", client.id)
    return JSONResponse(
        issued.model_dump(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )
