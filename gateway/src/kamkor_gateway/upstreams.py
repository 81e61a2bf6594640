"""The services behind the gateway and the one HTTP client that reaches them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request

from kamkor_common.errors import KamkorError, ServiceUnavailable
from kamkor_gateway.paths import InvalidPath

log = logging.getLogger("kamkor.gateway.upstreams")

SERVICES: tuple[str, ...] = ("registry", "risk", "referral", "shelter")

# Methods that may be sent twice (RFC 9110 §9.2.2); a write with an Idempotency-Key too,
# since the service answers its repetition with the first answer.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def encode_headers(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """Headers as bytes for httpx, each value byte for byte as the caller sent it."""
    return [(name.encode("ascii"), header_value(value)) for name, value in headers.items()]


def header_value(value: str | bytes) -> bytes:
    """A header value as bytes: httpx refuses a `str` that is not ASCII.

    The server decoded the caller's bytes as Latin-1, so encoding them back gives the
    very bytes that came in; the service behind then judges them itself.
    """
    if isinstance(value, bytes):
        return value
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def may_resend(request: httpx.Request, exc: httpx.TransportError) -> bool:
    """Whether a failed request can safely go out once more on a fresh connection.

    A connection that could not be opened sent nothing, whatever the method. A pooled
    connection the service had already closed (its keep-alive timeout, or its close
    after a 500) fails with no answer: the request may or may not have been read, so
    only a request that is safe to repeat goes out again.
    """
    if isinstance(exc, httpx.ConnectError):
        return True
    if not isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        return False
    return request.method in IDEMPOTENT_METHODS or "idempotency-key" in request.headers


class UpstreamUnavailable(ServiceUnavailable):
    code, title = "upstream_unavailable", "Upstream service unavailable"


class UpstreamTimeout(KamkorError):
    status, code, title = 504, "upstream_timeout", "Upstream service timed out"


class UpstreamProblem(KamkorError):
    """An upstream's error relayed to the caller: a 4xx as it came, a 5xx as 502."""

    status, code, title = 502, "upstream_error", "Upstream service failed"

    @classmethod
    def from_response(cls, service: str, response: httpx.Response) -> UpstreamProblem:
        body: dict[str, Any] = {}
        try:
            parsed = response.json()
            if isinstance(parsed, dict):
                body = parsed
        except ValueError:
            pass
        if response.status_code >= 500:
            error = cls(f"the {service} service answered {response.status_code}", service=service)
            return error
        error = cls(str(body.get("detail") or response.reason_phrase), service=service)
        error.status = response.status_code
        error.code = str(body.get("code") or "upstream_error")
        error.title = str(body.get("title") or response.reason_phrase)
        return error


class Upstreams:
    """Sends requests to the services and turns transport failures into problem errors."""

    def __init__(self, *, client: httpx.AsyncClient, urls: Mapping[str, str]) -> None:
        self.client = client
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}

    def url(self, service: str, raw_path: bytes, raw_query: bytes = b"") -> httpx.URL:
        """The service's URL for a path kept byte for byte as the caller sent it."""
        base = httpx.URL(self.urls[service])
        target = base.raw_path.rstrip(b"/") + raw_path
        if raw_query:
            target += b"?" + raw_query
        return base.copy_with(raw_path=target)

    async def forward(
        self,
        service: str,
        *,
        method: str,
        raw_path: bytes,
        raw_query: bytes,
        headers: Mapping[str, str],
        content: bytes,
        within: str,
    ) -> httpx.Response:
        """Pass one request on unchanged, provided it stays under the path `within`."""
        request = self.client.build_request(
            method,
            self.url(service, raw_path, raw_query),
            headers=encode_headers(headers),
            content=content or None,
        )
        # httpx resolves dot segments while building the URL: whatever got past the
        # gateway's path check must still land under the route it matched.
        allowed = httpx.URL(self.urls[service]).raw_path.rstrip(b"/") + within.encode()
        if not request.url.raw_path.startswith(allowed):
            raise InvalidPath(f"the path leaves {within}")
        return await self.send(service, request)

    async def get(
        self,
        service: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        """A GET the gateway makes on its own account (composition, probes, documents)."""
        url = self.url(service, path.encode("ascii"))
        extensions = None
        if timeout_s is not None:
            extensions = {"timeout": httpx.Timeout(timeout_s).as_dict()}
        request = self.client.build_request(
            "GET",
            url,
            params=params,
            headers=encode_headers(headers or {}),
            extensions=extensions,
        )
        return await self.send(service, request)

    async def _send(self, service: str, request: httpx.Request) -> httpx.Response:
        try:
            return await self.client.send(request)
        except httpx.TransportError as exc:
            if not may_resend(request, exc):
                raise
            # The pool has dropped the dead connection; the next one is fresh or checked.
            log.info(
                "%s %s to %s failed (%r); sending it once more",
                request.method,
                request.url.path,
                service,
                exc,
            )
            return await self.client.send(request)

    async def send(self, service: str, request: httpx.Request) -> httpx.Response:
        try:
            return await self._send(service, request)
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Nothing reached the service: it is as good as down.
            raise UpstreamUnavailable(
                f"the {service} service cannot be reached ({type(exc).__name__})", service=service
            ) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"the {service} service did not answer in time", service=service
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"the {service} service cannot be reached ({type(exc).__name__})", service=service
            ) from exc


async def get_upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


UpstreamsDep = Annotated[Upstreams, Depends(get_upstreams)]
