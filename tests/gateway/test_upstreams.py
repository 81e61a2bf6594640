from __future__ import annotations

import httpx
import pytest

from kamkor_gateway.paths import InvalidPath
from kamkor_gateway.upstreams import Upstreams


class TestUpstreamsForward:
    async def test_refuses_a_path_that_resolves_out_of_its_route(self, unused_url):
        async with httpx.AsyncClient() as client:
            # Nothing listens there: reaching for the service would fail otherwise.
            upstreams = Upstreams(client=client, urls={"risk": unused_url()})

            with pytest.raises(InvalidPath):
                await upstreams.forward(
                    "risk",
                    method="GET",
                    raw_path=b"/api/v1/risk/../../internal/stats",
                    raw_query=b"",
                    headers={},
                    content=b"",
                    within="/api/v1/risk/",
                )

    async def test_keeps_a_path_under_its_route_and_the_base_path(self, fakes):
        async with httpx.AsyncClient() as client:
            upstreams = Upstreams(client=client, urls={"risk": fakes["risk"].url + "/base/"})

            response = await upstreams.forward(
                "risk",
                method="GET",
                raw_path=b"/api/v1/risk/flags/x..y",
                raw_query=b"a=1",
                headers={},
                content=b"",
                within="/api/v1/risk/",
            )

        assert response.status_code == 200
        assert response.json()["raw_path"] == "/base/api/v1/risk/flags/x..y"
        assert response.json()["query"] == "a=1"
