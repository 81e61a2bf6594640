from __future__ import annotations

import asyncio

import httpx
import pytest

from kamkor_gateway.config import GatewaySettings
from kamkor_gateway.paths import InvalidPath
from kamkor_gateway.upstreams import Upstreams, UpstreamUnavailable


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


class OneAnswerPerConnection:
    """A service that answers the first request of each connection and drops the second.

    That is what a keep-alive connection looks like when the service closes it (its
    keep-alive timeout, or its close after a 500) just as the gateway reuses it.
    """

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> OneAnswerPerConnection:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _read_request(self, reader: asyncio.StreamReader) -> str | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        if length:
            await reader.readexactly(length)
        return head.split(b" ", 1)[0].decode()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        method = await self._read_request(reader)
        if method is not None:
            self.requests.append(method)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            second = await self._read_request(reader)
            if second is not None:
                self.requests.append(second)
        writer.close()


async def _call(upstreams: Upstreams, method: str, headers: dict[str, str] | None = None) -> int:
    response = await upstreams.forward(
        "risk",
        method=method,
        raw_path=b"/api/v1/risk/flags",
        raw_query=b"",
        headers=headers or {},
        content=b"{}" if method == "POST" else b"",
        within="/api/v1/risk/",
    )
    return response.status_code


class TestUpstreamsResend:
    @pytest.mark.parametrize(
        ("method", "headers"),
        [("GET", {}), ("PUT", {}), ("DELETE", {}), ("POST", {"idempotency-key": "k-1"})],
    )
    async def test_a_request_safe_to_repeat_goes_out_again_on_a_fresh_connection(
        self, method, headers
    ) -> None:
        async with OneAnswerPerConnection() as service, httpx.AsyncClient() as client:
            upstreams = Upstreams(client=client, urls={"risk": service.url})

            assert await _call(upstreams, method, headers) == 200
            assert await _call(upstreams, method, headers) == 200

            # The second request died with its connection and was answered on a new one.
            assert service.connections == 2
            assert service.requests == [method] * 3

    async def test_a_write_without_an_idempotency_key_is_not_sent_twice(self) -> None:
        async with OneAnswerPerConnection() as service, httpx.AsyncClient() as client:
            upstreams = Upstreams(client=client, urls={"risk": service.url})

            assert await _call(upstreams, "POST") == 200
            with pytest.raises(UpstreamUnavailable):
                await _call(upstreams, "POST")

            assert service.requests == ["POST", "POST"]

    async def test_a_connection_that_could_not_be_opened_is_tried_once_more(self) -> None:
        attempts: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            attempts.append(request.method)
            if len(attempts) == 1:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(201)

        transport = httpx.MockTransport(handler)
        async with httpx.AsyncClient(transport=transport) as client:
            upstreams = Upstreams(client=client, urls={"risk": "http://risk.test"})
            assert await _call(upstreams, "POST") == 201
        assert attempts == ["POST", "POST"]

    async def test_a_service_that_stays_down_is_503_after_the_second_try(self, unused_url) -> None:
        async with httpx.AsyncClient() as client:
            upstreams = Upstreams(client=client, urls={"risk": unused_url()})
            with pytest.raises(UpstreamUnavailable):
                await _call(upstreams, "GET")

    async def test_non_ascii_header_values_go_out_as_the_bytes_that_came_in(self) -> None:
        seen: list[httpx.Headers] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request.headers)
            return httpx.Response(200)

        # What the server decoded (as Latin-1) from the caller's UTF-8 bytes.
        language = "кыргыз".encode().decode("latin-1")
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            upstreams = Upstreams(client=client, urls={"risk": "http://risk.test"})
            assert await _call(upstreams, "GET", {"accept-language": language}) == 200
        assert seen[0].raw[-1] == (b"accept-language", "кыргыз".encode())


class TestKeepAlive:
    def test_idle_connections_expire_before_the_services_close_them(self) -> None:
        import inspect

        import uvicorn

        server_timeout = inspect.signature(uvicorn.Config).parameters["timeout_keep_alive"].default
        assert server_timeout > GatewaySettings().UPSTREAM_KEEPALIVE_EXPIRY_S
