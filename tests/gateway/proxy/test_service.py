from __future__ import annotations

import pytest
from starlette.requests import Request

from kamkor_gateway.proxy.service import BodyTooLarge, read_body


def _request(body_chunks: list[bytes], headers: dict[str, str]) -> tuple[Request, list[int]]:
    """A request whose body arrives in the given chunks; also counts the reads."""
    reads: list[int] = []
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body_chunks) - 1}
        for i, chunk in enumerate(body_chunks)
    ]

    async def receive() -> dict:
        reads.append(1)
        return messages.pop(0)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }
    return Request(scope, receive), reads


class TestReadBody:
    async def test_reads_a_body_within_the_limit(self):
        request, _ = _request([b"abc", b"def"], {})

        assert await read_body(request, max_bytes=6) == b"abcdef"

    async def test_refuses_a_declared_length_before_reading(self):
        request, reads = _request([b"x" * 10], {"content-length": "2048"})

        with pytest.raises(BodyTooLarge):
            await read_body(request, max_bytes=1024)

        assert reads == []

    async def test_stops_reading_once_the_limit_is_passed(self):
        # The length claims little; what arrives is counted.
        request, reads = _request([b"x" * 600] * 5, {"content-length": "10"})

        with pytest.raises(BodyTooLarge):
            await read_body(request, max_bytes=1024)

        assert len(reads) == 2
