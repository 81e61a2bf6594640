"""Which headers cross the gateway, and the forwarding of one call."""

from __future__ import annotations

import httpx
from fastapi import Request, Response

from kamkor_gateway.upstreams import Upstreams

# The trace context is not copied from the caller: the httpx instrumentation injects the
# gateway's own client span, which continues the caller's trace.
FORWARDED_REQUEST_HEADERS: tuple[str, ...] = (
    "authorization",
    "content-type",
    "accept",
    "accept-language",
    "idempotency-key",
    "if-match",
    "if-none-match",
    "prefer",
)

RETURNED_RESPONSE_HEADERS: tuple[str, ...] = (
    "content-type",
    "content-language",
    "content-disposition",
    "etag",
    "last-modified",
    "cache-control",
    "location",
    "link",
    "retry-after",
    "www-authenticate",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
)


def request_headers(request: Request) -> dict[str, str]:
    """The caller's headers that a service needs, plus who the caller is."""
    headers = {
        name: value
        for name in FORWARDED_REQUEST_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    if request.client is not None:
        earlier = request.headers.get("x-forwarded-for")
        client = request.client.host
        headers["x-forwarded-for"] = f"{earlier}, {client}" if earlier else client
    return headers


def response_headers(upstream: httpx.Response, *, base_url: str) -> dict[str, str]:
    """The service's headers the caller needs; its own address never leaks out."""
    headers = {
        name: value
        for name in RETURNED_RESPONSE_HEADERS
        if (value := upstream.headers.get(name)) is not None
    }
    location = headers.get("location")
    if location is not None and location.startswith(base_url):
        # The services serve the same paths as the gateway, so the path alone is right here.
        headers["location"] = location[len(base_url) :] or "/"
    return headers


async def forward(*, upstreams: Upstreams, service: str, request: Request) -> Response:
    """Send the call to `service` as it came and answer with what the service said."""
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    upstream = await upstreams.forward(
        service,
        method=request.method,
        raw_path=raw_path,
        raw_query=request.scope.get("query_string", b""),
        headers=request_headers(request),
        content=await request.body(),
    )
    return Response(
        content=upstream.content,
        status_code=upstream.status_code,
        headers=response_headers(upstream, base_url=upstreams.urls[service]),
    )
