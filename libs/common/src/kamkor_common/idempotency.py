"""`Idempotency-Key` on writes: a retried request gets the first answer, not a second record.

Social workers register families from phones on poor connections: a POST whose answer
was lost is sent again. With the same key (per token subject) and the same request, the
stored answer is replayed (`Idempotent-Replayed: true`); the same key with another
request is refused. Keys are kept for `KAMKOR_IDEMPOTENCY_RETENTION_HOURS`.

The answer is stored right after the route's own transaction has committed; a crash in
between leaves the key unanswered, and a retry then runs the request again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Text, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kamkor_common.db import Database, UTCDateTime, utcnow
from kamkor_common.errors import KamkorError, problem

log = logging.getLogger("kamkor.idempotency")

HEADER = "idempotency-key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200
_REPLAYED_HEADERS = ("content-type", "location", "etag")


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    scope: str = Field(primary_key=True, max_length=200)
    key: str = Field(primary_key=True, max_length=MAX_KEY_LENGTH)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    response_headers: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    response_body: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


class IdempotencyKeyInvalid(KamkorError):
    status, code, title = 400, "idempotency_key_invalid", "Invalid Idempotency-Key"


def check_key(key: str) -> str:
    """The key without surrounding blanks; 1 to 200 printable ASCII characters, or 400."""
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in key):
        raise IdempotencyKeyInvalid(
            f"an Idempotency-Key has 1 to {MAX_KEY_LENGTH} printable ASCII characters"
        )
    return key


class IdempotencyKeyReused(KamkorError):
    status, code, title = 422, "idempotency_key_reused", "Idempotency-Key used for another request"


class IdempotencyInProgress(KamkorError):
    status, code, title = 409, "idempotency_in_progress", "The first request is still running"


async def purge(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget keys older than the cutoff."""
    result: Any = await session.execute(
        delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < older_than)
    )
    return int(result.rowcount or 0)


class IdempotencyMiddleware:
    """Pure ASGI middleware: buffers the request, replays or records the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get(HEADER)
        owner = _owner(scope, headers) if key is not None else None
        if key is None or owner is None:  # no key, or no valid token: the route decides
            await self.app(scope, receive, send)
            return
        try:
            await self._handle(scope, receive, send, owner=owner, key=check_key(key))
        except KamkorError as exc:
            response = problem(exc.status, exc.code, exc.title, exc.detail, scope["path"])
            await response(scope, receive, send)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, *, owner: str, key: str
    ) -> None:
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fingerprint = hashlib.sha256(
            b"\n".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        database: Database = scope["app"].state.database
        stored = await _claim(database, owner=owner, key=key, fingerprint=fingerprint)
        if stored is not None:
            await _replay(stored, send)
            return

        captured: dict[str, Any] = {"body": b""}

        async def replay_body() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = {
                    k.decode("latin-1"): v.decode("latin-1")
                    for k, v in message["headers"]
                    if k.decode("latin-1").lower() in _REPLAYED_HEADERS
                }
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await _settle(database, owner=owner, key=key, captured=captured)


def _owner(scope: Scope, headers: dict[str, str]) -> str | None:
    """Keys are per token subject; a missing or invalid token is the route's to refuse."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = scope["app"].state.token_verifier.verify(token.strip())
    except KamkorError:
        return None
    return f"{principal.role}:{principal.subject}"


async def _claim(
    database: Database, *, owner: str, key: str, fingerprint: str
) -> IdempotencyKey | None:
    """Record the key as in progress, or return its stored answer."""
    async with database.sessionmaker() as session:
        try:
            async with session.begin():
                session.add(IdempotencyKey(scope=owner, key=key, fingerprint=fingerprint))
            return None
        except IntegrityError:
            pass
        existing = await session.scalar(
            select(IdempotencyKey).where(
                col(IdempotencyKey.scope) == owner, col(IdempotencyKey.key) == key
            )
        )
    if existing is None:  # purged between the two statements: run the request
        return await _claim(database, owner=owner, key=key, fingerprint=fingerprint)
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
    if existing.status_code is None:
        raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
    return existing


async def _settle(database: Database, *, owner: str, key: str, captured: dict[str, Any]) -> None:
    """Keep the answer of a request that was handled; free the key of one that failed."""
    status = captured.get("status")
    async with database.sessionmaker() as session, session.begin():
        row = await session.get(IdempotencyKey, (owner, key))
        if row is None:
            return
        if status is None or status >= 500:
            await session.delete(row)  # not answered: a retry may run it again
            return
        row.status_code = status
        row.response_headers = captured.get("headers", {})
        row.response_body = captured["body"].decode("utf-8", "replace")


async def _replay(stored: IdempotencyKey, send: Send) -> None:
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in (stored.response_headers or {}).items()
    ]
    headers.append((b"idempotent-replayed", b"true"))
    body = (stored.response_body or "").encode()
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    log.info("replayed the answer to Idempotency-Key %s", json.dumps(stored.key))
