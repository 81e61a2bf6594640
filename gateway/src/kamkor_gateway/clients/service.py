"""Creating, rotating and revoking API clients; the client-credentials grant (RFC 6749 §4.4)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal, TokenIssuer
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound
from kamkor_gateway.clients import repository, secrets
from kamkor_gateway.clients.models import (
    ApiClient,
    ApiClientAudit,
    ClientAction,
    ClientRole,
    ClientStatus,
)
from kamkor_gateway.clients.schemas import (
    ApiClientCreate,
    ApiClientRead,
    ApiClientSecret,
    TokenResponse,
)

log = logging.getLogger("kamkor.gateway.clients")


class ClientNotFound(NotFound):
    code, title = "client_not_found", "No such API client"


class ClientRevoked(Conflict):
    code, title = "client_revoked", "The API client is revoked"


def _audit(client: ApiClient, action: ClientAction, principal: Principal) -> ApiClientAudit:
    return ApiClientAudit(
        client_id=client.id, action=action, actor=principal.subject, actor_role=principal.role
    )


def _with_secret(client: ApiClient, secret: str) -> ApiClientSecret:
    return ApiClientSecret(
        **ApiClientRead.model_validate(client).model_dump(), client_secret=secret
    )


async def create(
    *, session: AsyncSession, client_in: ApiClientCreate, principal: Principal
) -> ApiClientSecret:
    """A new client and its secret, which is answered now and never again."""
    secret = secrets.new_secret()
    client = ApiClient(
        name=client_in.name,
        role=client_in.role,
        organization_id=client_in.organization_id,
        secret_hash=await asyncio.to_thread(secrets.hash_secret, secret),
        created_by=principal.subject,
    )
    await repository.add(session, client, _audit(client, ClientAction.CREATED, principal))
    log.info("api client %s created for organisation %s", client.id, client.organization_id)
    return _with_secret(client, secret)


async def get(*, session: AsyncSession, client_id: str) -> ApiClient:
    client = await repository.get(session, client_id)
    if client is None:
        raise ClientNotFound(f"no API client {client_id}")
    return client


async def rotate(
    *, session: AsyncSession, client_id: str, grace_s: int, principal: Principal
) -> ApiClientSecret:
    """A new secret; the old one stops working at once or after `grace_s` seconds."""
    client = await get(session=session, client_id=client_id)
    if client.status == ClientStatus.REVOKED:
        raise ClientRevoked(f"API client {client_id} is revoked; create a new one")
    secret = secrets.new_secret()
    now = utcnow()
    if grace_s > 0:
        client.previous_secret_hash = client.secret_hash
        client.previous_expires_at = now + timedelta(seconds=grace_s)
    else:
        client.previous_secret_hash = None
        client.previous_expires_at = None
    client.secret_hash = await asyncio.to_thread(secrets.hash_secret, secret)
    client.rotated_at = now
    await repository.record(session, _audit(client, ClientAction.ROTATED, principal))
    log.info("api client %s secret rotated (grace %d s)", client.id, grace_s)
    return _with_secret(client, secret)


async def revoke(*, session: AsyncSession, client_id: str, principal: Principal) -> ApiClient:
    """No more tokens for this client; tokens already issued run out within their lifetime."""
    client = await get(session=session, client_id=client_id)
    if client.status != ClientStatus.REVOKED:
        client.status = ClientStatus.REVOKED
        client.revoked_at = utcnow()
        client.previous_secret_hash = None
        client.previous_expires_at = None
        await repository.record(session, _audit(client, ClientAction.REVOKED, principal))
        log.info("api client %s revoked", client.id)
    return client


async def page(
    *, session: AsyncSession, organization_id: str | None, limit: int, offset: int
) -> tuple[list[ApiClient], int]:
    return await repository.page(
        session, organization_id=organization_id, limit=limit, offset=offset
    )


def _secret_matches(client: ApiClient, secret: str) -> bool:
    if secrets.verify_secret(secret, client.secret_hash):
        return True
    previous, until = client.previous_secret_hash, client.previous_expires_at
    return (
        previous is not None
        and until is not None
        and utcnow() < until
        and (secrets.verify_secret(secret, previous))
    )


async def authenticate(
    *, session: AsyncSession, client_id: str, client_secret: str
) -> ApiClient | None:
    """The active client these credentials prove, or None; the same work either way."""
    client = await repository.get(session, client_id) if len(client_id) <= 36 else None
    if client is None:
        await asyncio.to_thread(secrets.verify_secret, client_secret, secrets.DUMMY_HASH)
        return None
    matches = await asyncio.to_thread(_secret_matches, client, client_secret)
    if not matches or client.status != ClientStatus.ACTIVE:
        return None
    return client


def token_for(client: ApiClient, *, issuer: TokenIssuer, ttl_s: int) -> TokenResponse:
    """A short-lived token whose subject is the client, scoped to its organisation."""
    token = issuer.issue(
        subject=client.id,
        role=client.role,
        organization_id=client.organization_id if client.role == ClientRole.PARTNER else None,
        ttl_s=ttl_s,
        extra={"client_id": client.id, "scope": client.role},
    )
    return TokenResponse(access_token=token, expires_in=ttl_s, scope=client.role)
