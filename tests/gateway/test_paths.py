from __future__ import annotations

import pytest

from kamkor_gateway.paths import has_dot_segment
from tests.gateway.conftest import send_raw

PROBLEM_JSON = "application/problem+json"

CLIMBING_PATHS = [
    "/api/v1/risk/../../../internal/stats",
    "/api/v1/risk/%2e%2e/%2E%2E/%2e%2E/internal/stats",
    "/api/v1/risk/..%2f..%2f..%2finternal%2fstats",
    "/api/v1/risk/..%2F..%2F..%2Finternal/stats",
    "/api/v1/risk/.%2e/.%2E/%2e./internal/stats",
    "/api/v1/risk/%2e%2e%2f%2e%2e%2f%2e%2e%2finternal%2fstats",
    "/api/v1/risk/..%5c..%5c..%5cinternal%5cstats",
    "/api/v1/registry/./households",
    "/api/v1/registry/%2e/households",
    "/api/v1/families/..",
    "/api/v1/families/%2e%2e",
]
# Harmless to a server that decodes once, but not to one that decodes twice.
DOUBLE_ENCODED = "/partner/v1/%252e%252e/%252e%252e/internal/stats"


class TestHasDotSegment:
    @pytest.mark.parametrize("path", CLIMBING_PATHS)
    def test_finds_dot_segments_in_every_encoding(self, path):
        assert has_dot_segment(path.encode())

    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/risk/flags",
            "/api/v1/shelters/s%2F1/beds",
            "/api/v1/risk/a..b/c.d/...",
            "/api/v1/registry/households/.hidden",
            "/api/v1/registry/households/",
            "/",
        ],
    )
    def test_lets_other_paths_pass(self, path):
        assert not has_dot_segment(path.encode())


class TestPathGuard:
    @pytest.mark.parametrize("path", [*CLIMBING_PATHS, DOUBLE_ENCODED])
    async def test_refuses_a_path_climbing_out_of_its_route(
        self, served_gateway, fakes, auth, path
    ):
        before = {name: len(fake.received) for name, fake in fakes.items()}

        status, headers, body = await send_raw(served_gateway, "GET", path, auth)

        assert status == 400, body
        assert headers["content-type"] == PROBLEM_JSON
        assert body["code"] == "invalid_path"
        assert {name: len(fake.received) for name, fake in fakes.items()} == before

    async def test_passes_dots_inside_a_segment(self, served_gateway, auth):
        status, _, body = await send_raw(served_gateway, "GET", "/api/v1/risk/a..b/...", auth)

        assert status == 200, body
        assert body["service"] == "risk"
        assert body["raw_path"] == "/api/v1/risk/a..b/..."
