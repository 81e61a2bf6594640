"""Refusing request paths that could climb out of the route they matched.

httpx resolves `.` and `..` segments when it builds the upstream URL, so a path such
as `/api/v1/risk/../../internal/stats` would match the risk route and then reach the
service's `/internal/stats`. Such paths are refused at the front door, in every form a
server behind the gateway might decode: literal, percent-encoded (`%2e`), or hidden in
one segment by an encoded separator (`..%2f..`).
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from kamkor_common.errors import BadRequest, problem

DOT_SEGMENTS = (b".", b"..")


class InvalidPath(BadRequest):
    code, title = "invalid_path", "Invalid path"


def has_dot_segment(raw_path: bytes) -> bool:
    """Whether any segment of the path is `.` or `..`, once percent-decoded."""
    for segment in raw_path.split(b"/"):
        # Some servers also split on a backslash; a decoded `%2f` or `%5c` splits as well.
        decoded = unquote_to_bytes(segment).replace(b"\\", b"/")
        if any(part in DOT_SEGMENTS for part in decoded.split(b"/")):
            return True
    return False


class PathGuard:
    """ASGI middleware answering `400 invalid_path` to a path with dot segments."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
            # The decoded path is checked too: decoded once more, it shows what a service
            # that decodes twice would see (`%252e%252e`).
            if has_dot_segment(raw_path) or has_dot_segment(scope["path"].encode()):
                error = InvalidPath("the path must not contain '.' or '..' segments")
                response = problem(error.status, error.code, error.title, error.detail)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
