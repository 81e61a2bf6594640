"""Browser-facing protection: security headers on every answer, and the CORS allowlist."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# An API answer is data, never a page: nothing in it may load, run or be framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# Everything under these carries or may carry a person's data, or a token: no cache
# (browser, proxy, or the disk of a shared phone) may keep a copy.
NO_STORE_PREFIXES = ("/api/", "/partner/", "/oauth/")

CORS_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "Prefer",
    "X-Purpose",
    "traceparent",
    "tracestate",
)
CORS_EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Link",
    "Content-Disposition",
    "Idempotent-Replayed",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
)
# What grants a browser script access; only an allowlisted origin may get these.
GRANTS = ("access-control-allow-credentials", "access-control-expose-headers")


class SecurityHeaders:
    """ASGI middleware putting the security headers on every answer of the gateway.

    A route that serves a page sets its own `Content-Security-Policy` (the API docs);
    everything else gets the API's, which allows nothing.
    """

    def __init__(self, app: ASGIApp, *, hsts_max_age_s: int | None = None) -> None:
        self.app = app
        self.headers = dict(BASE_HEADERS)
        if hsts_max_age_s is not None:
            self.headers["Strict-Transport-Security"] = (
                f"max-age={hsts_max_age_s}; includeSubDomains"
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.update(self.headers)
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = API_CSP
                if no_store:
                    # Replaces what a service said: the gateway decides for the outside.
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class AllowlistCORS(CORSMiddleware):
    """Starlette's CORS, except that credentials are granted to allowlisted origins only.

    Starlette sends `Access-Control-Allow-Credentials: true` to any origin once
    credentials are allowed; here another origin gets no grant at all.
    """

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if not self.is_allowed_origin(origin=request_headers["origin"]):
            for name in GRANTS:
                del response.headers[name]
        return response

    async def send(self, message: Message, send: Send, request_headers: Headers) -> None:
        origin = request_headers.get("origin")
        if origin is None or self.is_allowed_origin(origin=origin):
            await super().send(message, send, request_headers)
            return

        async def without_grants(sent: Message) -> None:
            if sent["type"] == "http.response.start":
                headers = MutableHeaders(scope=sent)
                for name in GRANTS:
                    del headers[name]
            await send(sent)

        await super().send(message, without_grants, request_headers)


def cors_options(origins: list[str]) -> dict[str, Any]:
    """The options of `AllowlistCORS` for these allowlisted origins."""
    return {
        "allow_origins": origins,
        "allow_methods": CORS_METHODS,
        "allow_headers": CORS_REQUEST_HEADERS,
        "allow_credentials": True,
        "expose_headers": CORS_EXPOSED_HEADERS,
        "max_age": 600,
    }
