"""What Kamkor accepts from outside: clean text, bounded numbers, headers of sane size.

Whatever a caller sends must be refused with a 4xx problem before it can upset the
database: PostgreSQL refuses NUL in text and lone surrogates cannot be encoded, and
integers beyond 64 bits overflow its `bigint`. The limits here are far above any real
value and far below what breaks.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints
from starlette.types import ASGIApp, Receive, Scope, Send

from kamkor_common.errors import HeaderTooLarge, problem

# Control characters (C0, DEL, C1). A pattern rather than a validator: pydantic checks
# it with the length limits in one string schema, whatever order they are declared in,
# and the documents show it. Lone surrogates pydantic refuses by itself.
PLAIN_TEXT_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f]*$"
NOTE_TEXT_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
CONTROL_CHARACTERS_MESSAGE = "must not contain control characters"
NOTE_CONTROL_CHARACTERS_MESSAGE = "must not contain control characters other than newlines and tabs"
# What a validation problem says instead of "String should match pattern '…'".
PATTERN_MESSAGES = {
    PLAIN_TEXT_PATTERN: CONTROL_CHARACTERS_MESSAGE,
    NOTE_TEXT_PATTERN: NOTE_CONTROL_CHARACTERS_MESSAGE,
}

# A name, address, code or identifier: no control characters at all, not even a newline.
PlainText = Annotated[str, StringConstraints(pattern=PLAIN_TEXT_PATTERN)]
# A note or reason: ordinary newlines and tabs, but no other control characters.
NoteText = Annotated[str, StringConstraints(pattern=NOTE_TEXT_PATTERN)]

# Counts of things (beds, people) and list offsets: well inside PostgreSQL's integers.
MAX_COUNT = 100_000
MAX_OFFSET = 10_000_000
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]

# One bearer token is a few hundred bytes; all headers of a request a few KiB.
MAX_AUTHORIZATION_BYTES = 8 * 1024
MAX_HEADER_BYTES = 32 * 1024


class HeaderLimit:
    """ASGI middleware answering `431 header_too_large` to oversized request headers.

    Counts names and values as received, so a single huge header and a flood of small
    ones are refused alike, before any route or token check runs.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > self.max_bytes:
                error = HeaderTooLarge(f"the request headers exceed {self.max_bytes} bytes")
                response = problem(
                    error.status, error.code, error.title, error.detail, scope.get("path")
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
