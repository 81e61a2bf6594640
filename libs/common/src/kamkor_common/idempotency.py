"""`Idempotency-Key` on writes: a retried request gets the first answer, not a second record.

Social workers register families from phones on poor connections: a POST whose answer
was lost is sent again. With the same key (per token subject) and the same request, the
stored answer is replayed (`Idempotent-Replayed: true`); the same key with another
request is refused. Keys are kept for `KAMKOR_IDEMPOTENCY_RETENTION_HOURS`.

A process that dies mid-request leaves its key claimed but unanswered. The claim is a
lease: once `KAMKOR_IDEMPOTENCY_LEASE_S` has passed, a retry takes the key over and runs
the request, and the first run, should it still be alive, can no longer commit. The
route's own transaction marks the key as carried out when it commits, so that a crash
between that commit and storing the answer never runs the request twice: such a retry is
told `idempotency_answer_lost` (the change was made; look it up) instead.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Column, Text, delete, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel, col
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kamkor_common.db import Database, UTCDateTime, utcnow
from kamkor_common.errors import KamkorError, problem

log = logging.getLogger("kamkor.idempotency")

HEADER = "idempotency-key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 200
_REPLAYED_HEADERS = ("content-type", "location", "etag")
# The stored status of a key whose request has committed its change but not yet its answer.
CARRIED_OUT = 0
DEFAULT_LEASE_S = 30.0


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


class IdempotencyAnswerLost(KamkorError):
    status, code, title = 409, "idempotency_answer_lost", "The request was carried out"


class IdempotencyClaimLost(KamkorError):
    status, code, title = 409, "idempotency_claim_lost", "A retry took this Idempotency-Key over"


@dataclass
class _Claim:
    """The key the current request holds; `claimed_at` tells this claim from a later one."""

    owner: str
    key: str
    claimed_at: datetime
    carried_out: bool = False


_current: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar(
    "kamkor_idempotency_claim", default=None
)


@sa_event.listens_for(Session, "before_commit")
def _mark_carried_out(session: Session) -> None:
    """In the route's own transaction: the key's request has made its change.

    Refuses to commit when a retry has taken the key over meanwhile, so that a request
    whose lease ran out cannot make its change a second time.
    """
    claim = _current.get()
    if claim is None or claim.carried_out:
        return
    result: Any = session.execute(
        update(IdempotencyKey)
        .where(
            col(IdempotencyKey.scope) == claim.owner,
            col(IdempotencyKey.key) == claim.key,
            col(IdempotencyKey.created_at) == claim.claimed_at,
            col(IdempotencyKey.status_code).is_(None),
        )
        .values(status_code=CARRIED_OUT)
    )
    if not result.rowcount:
        raise IdempotencyClaimLost("a retry took this Idempotency-Key over; its answer counts")
    session.info["idempotency_claim"] = claim


@sa_event.listens_for(Session, "after_commit")
def _carried_out(session: Session) -> None:
    claim = session.info.pop("idempotency_claim", None)
    if claim is not None:
        claim.carried_out = True


@sa_event.listens_for(Session, "after_rollback")
def _not_carried_out(session: Session) -> None:
    session.info.pop("idempotency_claim", None)


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
        owner = await _owner(scope, headers) if key is not None else None
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
        settings = getattr(scope["app"].state, "settings", None)
        lease = timedelta(seconds=getattr(settings, "IDEMPOTENCY_LEASE_S", DEFAULT_LEASE_S))
        stored, claim = await _claim(
            database, owner=owner, key=key, fingerprint=fingerprint, lease=lease
        )
        if stored is not None:
            await _replay(stored, send)
            return
        assert claim is not None

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

        token = _current.set(claim)
        try:
            await self.app(scope, replay_body, capture)
        finally:
            _current.reset(token)
            await _settle(database, claim=claim, captured=captured)


async def _owner(scope: Scope, headers: dict[str, str]) -> str | None:
    """Keys are per token subject; a missing or invalid token is the route's to refuse."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    try:
        principal = await scope["app"].state.token_verifier.verify_async(token.strip())
    except KamkorError:
        return None
    return f"{principal.role}:{principal.subject}"


async def _claim(
    database: Database, *, owner: str, key: str, fingerprint: str, lease: timedelta
) -> tuple[IdempotencyKey | None, _Claim | None]:
    """Claim the key for this request, or return its stored answer.

    A claim older than the lease whose request never committed belongs to a request that
    died: it is taken over.
    """
    claimed_at = utcnow()
    async with database.sessionmaker() as session:
        try:
            async with session.begin():
                session.add(
                    IdempotencyKey(
                        scope=owner, key=key, fingerprint=fingerprint, created_at=claimed_at
                    )
                )
            return None, _Claim(owner=owner, key=key, claimed_at=claimed_at)
        except IntegrityError:
            pass
        existing = await session.scalar(
            select(IdempotencyKey).where(
                col(IdempotencyKey.scope) == owner, col(IdempotencyKey.key) == key
            )
        )
        if existing is None:  # purged between the two statements: run the request
            return await _claim(
                database, owner=owner, key=key, fingerprint=fingerprint, lease=lease
            )
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused("this Idempotency-Key was used for a different request")
        if existing.status_code not in (None, CARRIED_OUT):
            return existing, None
        if existing.created_at > claimed_at - lease:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
        if existing.status_code == CARRIED_OUT:
            raise IdempotencyAnswerLost(
                "the first request with this Idempotency-Key made its change but its answer "
                "was lost; look the result up instead of sending it again"
            )
        # The read above began a transaction: the takeover commits in it.
        result: Any = await session.execute(
            update(IdempotencyKey)
            .where(
                col(IdempotencyKey.scope) == owner,
                col(IdempotencyKey.key) == key,
                col(IdempotencyKey.created_at) == existing.created_at,
                col(IdempotencyKey.status_code).is_(None),
            )
            .values(created_at=claimed_at)
        )
        await session.commit()
    if not result.rowcount:  # another retry took it over first
        raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
    log.warning("took over the abandoned Idempotency-Key %s", json.dumps(key))
    return None, _Claim(owner=owner, key=key, claimed_at=claimed_at)


async def _settle(database: Database, *, claim: _Claim, captured: dict[str, Any]) -> None:
    """Keep the answer of a request that was handled; free the key of one that failed.

    Only while the key is still this request's: a retry may have taken it over.
    """
    status = captured.get("status")
    async with database.sessionmaker() as session, session.begin():
        row = await session.get(IdempotencyKey, (claim.owner, claim.key))
        if row is None or row.created_at != claim.claimed_at:
            return
        if status is None or status >= 500:
            if row.status_code is None:
                await session.delete(row)  # not carried out: a retry may run it again
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
