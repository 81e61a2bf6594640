"""Which headers cross the gateway, and the forwarding of one call."""

from __future__ import annotations

import httpx
from fastapi import Request, Response

from kamkor_common.errors import KamkorError
from kamkor_common.idempotency import WRITE_METHODS, check_key
from kamkor_gateway.upstreams import Upstreams


class BodyTooLarge(KamkorError):
    status, code, title = 413, "body_too_large", "Request body too large"


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
    # Why a family's record is read or changed: kept in the registry's audit trail.
    "x-purpose",
)

# The RateLimit-* fields are the gateway's own (kamkor_gateway.ratelimit): a service's
# would be a second, contradicting count. Cache-Control is replaced on the API's paths.
RETURNED_RESPONSE_HEADERS: tuple[str, ...] = (
    "content-type",
    "content-language",
    "content-disposition",
    "etag",
    "idempotent-replayed",
    "last-modified",
    "cache-control",
    "location",
    "link",
    "retry-after",
    "www-authenticate",
)


def request_headers(request: Request) -> dict[str, str]:
    """The caller's headers that a service needs, plus who the caller is.

    Whitespace around a value is not part of it (RFC 9110 §5.5); the HTTP client refuses
    to send a value that keeps it.
    """
    headers = {
        name: value.strip(" \t")
        for name in FORWARDED_REQUEST_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    if "idempotency-key" in headers and request.method in WRITE_METHODS:
        # Refused here with the code the services use, rather than sent on as junk.
        headers["idempotency-key"] = check_key(headers["idempotency-key"])
    if request.client is not None:
        # The caller's own X-Forwarded-For is not to be believed; the server in front of
        # the gateway (uvicorn --forwarded-allow-ips) already put trusted proxies' word
        # into the client address.
        headers["x-forwarded-for"] = request.client.host
    return headers


async def read_body(request: Request, *, max_bytes: int) -> bytes:
    """The request body, refused once it is larger than `max_bytes`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"the request body is larger than {max_bytes} bytes")
    # Counted as it arrives too: a chunked body declares no length, and a length may lie.
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise BodyTooLarge(f"the request body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


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


async def forward(
    *, upstreams: Upstreams, service: str, within: str, request: Request, max_body_bytes: int
) -> Response:
    """Send the call to `service` as it came and answer with what the service said.

    The path must stay under `within`, the fixed part of the route that matched.
    """
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    upstream = await upstreams.forward(
        service,
        method=request.method,
        raw_path=raw_path,
        raw_query=request.scope.get("query_string", b""),
        headers=request_headers(request),
        content=await read_body(request, max_bytes=max_body_bytes),
        within=within,
    )
    return Response(
        content=upstream.content,
        status_code=upstream.status_code,
        headers=response_headers(upstream, base_url=upstreams.urls[service]),
    )
