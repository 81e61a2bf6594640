"""Requests per client at the front door: `429 rate_limited` past the limit (DESIGN §8).

A client is the holder of a valid bearer token (a partner system: the holder within its
organisation), otherwise the caller's address. Counts live in Redis when
`KAMKOR_REDIS_URL` is set, so that every gateway replica sees the same numbers, and in
this process otherwise. Every counted answer carries `RateLimit-Limit`,
`RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy` (the IETF draft's
header fields); a refusal also `Retry-After`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kamkor_common.auth import get_principal
from kamkor_common.errors import KamkorError, problem
from kamkor_gateway.config import GatewaySettings, parse_limits

log = logging.getLogger("kamkor.gateway.ratelimit")

# Probes, metrics and the documents: a scraper or a kubelet must never be refused.
EXEMPT_PATHS = frozenset(
    {"/livez", "/readyz", "/metrics", "/docs", "/openapi.json", "/asyncapi.json"}
)
EXEMPT_PREFIXES = ("/.well-known/",)
# A store that failed is not asked again for this long: requests pass uncounted meanwhile.
STORAGE_RETRY_S = 5.0


class RateLimited(KamkorError):
    status, code, title = 429, "rate_limited", "Too many requests"


@dataclass(frozen=True)
class Client:
    """Who is counted, and by which limits."""

    kind: str
    key: str
    limits: tuple[RateLimitItem, ...]


@dataclass(frozen=True)
class Decision:
    """The outcome of counting one request against the tightest limit of its client."""

    allowed: bool
    limit: RateLimitItem
    remaining: int
    reset_after_s: int

    def headers(self) -> dict[str, str]:
        window_s = self.limit.get_expiry()
        return {
            "RateLimit-Limit": str(self.limit.amount),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_after_s),
            "RateLimit-Policy": f"{self.limit.amount};w={window_s}",
        }


def exempt(path: str) -> bool:
    return path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES)


def make_storage(settings: GatewaySettings) -> Storage:
    """Redis when configured (shared by the replicas), this process's memory otherwise."""
    if settings.REDIS_URL is None:
        return MemoryStorage()
    timeout_s = settings.RATE_LIMIT_STORAGE_TIMEOUT_S
    return RedisStorage(
        settings.REDIS_URL,
        wrap_exceptions=True,
        key_prefix="kamkor:ratelimit",
        connect_timeout=timeout_s,
        stream_timeout=timeout_s,
    )


class ClientLimiter:
    """Counts requests per client with a moving window: exact counts, exact Retry-After."""

    def __init__(self, settings: GatewaySettings, storage: Storage | None = None) -> None:
        self.storage = storage or make_storage(settings)
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.timeout_s = settings.RATE_LIMIT_STORAGE_TIMEOUT_S
        self.anonymous = tuple(parse_limits(settings.RATE_LIMIT_ANONYMOUS))
        self.partner = tuple(parse_limits(settings.RATE_LIMIT_PARTNER))
        self.staff = tuple(parse_limits(settings.RATE_LIMIT_STAFF))
        self.by_role = {
            role: tuple(parse_limits(text)) for role, text in settings.RATE_LIMIT_ROLES.items()
        }
        self._skip_until = 0.0

    async def identify(self, request: Request) -> Client:
        """The token's holder when the token is valid; the caller's address otherwise.

        An invalid or expired token counts against the address, under the anonymous
        limit: guessing tokens is no way around the limit.
        """
        if "authorization" in request.headers:
            try:
                principal = await get_principal(request)
            except KamkorError:
                pass
            else:
                if principal.role == "partner":
                    limits = self.by_role.get("partner", self.partner)
                    key = f"{principal.organization_id or '-'}/{principal.subject}"
                    return Client("partner", key, limits)
                limits = self.by_role.get(principal.role, self.staff)
                return Client(principal.role, principal.subject, limits)
        address = request.client.host if request.client is not None else "unknown"
        return Client("anonymous", address, self.anonymous)

    async def _count(self, client: Client) -> Decision:
        tightest: Decision | None = None
        for limit in client.limits:
            allowed = await self.strategy.hit(limit, client.kind, client.key)
            reset_at, remaining = await self.strategy.get_window_stats(
                limit, client.kind, client.key
            )
            decision = Decision(
                allowed=allowed,
                limit=limit,
                remaining=max(0, remaining),
                reset_after_s=max(0, math.ceil(reset_at - time.time())),
            )
            if not allowed:
                return decision
            if tightest is None or decision.remaining < tightest.remaining:
                tightest = decision
        assert tightest is not None, "every client has at least one limit"
        return tightest

    async def count(self, client: Client) -> Decision | None:
        """Count one request; None when the store cannot answer (the request goes through).

        Failing open is deliberate: a family's record must not become unreachable
        because the limit store is down. The failure is logged for the operators.
        """
        now = time.monotonic()
        if now < self._skip_until:
            return None
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._count(client)
        except Exception as exc:  # the store's errors are many (network, protocol, timeout)
            self._skip_until = now + STORAGE_RETRY_S
            log.warning(
                "rate limit store unavailable, not counting for %.0f s: %r", STORAGE_RETRY_S, exc
            )
            return None


class RateLimit:
    """ASGI middleware counting every request but the exempt paths, and answering 429."""

    def __init__(self, app: ASGIApp, *, limiter: ClientLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        decision = await self.limiter.count(await self.limiter.identify(request))
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = decision.headers()
        if not decision.allowed:
            retry_after = max(1, decision.reset_after_s)
            error = RateLimited(
                f"more than {decision.limit.amount} requests in {decision.limit.get_expiry()} s; "
                f"try again in {retry_after} s"
            )
            response = problem(error.status, error.code, error.title, error.detail, scope["path"])
            response.headers.update({**headers, "Retry-After": str(retry_after)})
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Set, not added: the gateway's own count is the one that applies.
                MutableHeaders(scope=message).update(headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)
