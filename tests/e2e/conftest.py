"""The whole platform as separate processes on PostgreSQL, with an OTLP receiver."""

from __future__ import annotations

import asyncio
import gzip
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kamkor_common.messaging.broker import free_port
from kamkor_common.testing import OtlpReceiver
from kamkor_gateway.devrun import DEFAULT_PORTS, SERVICES, Platform


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver(port=free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            if self.headers.get("content-encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                receiver.add(body)
            elif self.path == "/v1/metrics":
                receiver.add_metrics(body)
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", receiver.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()


@pytest.fixture(scope="session")
async def platform(
    make_database: Callable[[str], Awaitable[str]],
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Platform]:
    """Broker, four services and the gateway as separate processes, on PostgreSQL."""
    var_dir: Path = tmp_path_factory.mktemp("platform")
    running = Platform(
        var_dir=var_dir,
        ports={name: free_port() for name in DEFAULT_PORTS},
        broker_port=free_port(),
        database_urls={name: await make_database(f"e2e_{name}") for name in (*SERVICES, "gateway")},
        otlp_endpoint=otlp_receiver.endpoint,
        extra_env={
            "KAMKOR_DATABASE_POOL_SIZE": "4",
            "KAMKOR_DATABASE_MAX_OVERFLOW": "4",
            # One token drives the whole test, often faster than a person would.
            "KAMKOR_RATE_LIMIT_STAFF": "1000000/minute",
            "KAMKOR_RATE_LIMIT_PARTNER": "1000000/minute",
            # Metrics pushed every second, so that the test sees them arrive over OTLP.
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
            "KAMKOR_METRICS_INTERVAL_S": "1",
        },
    )
    try:
        await asyncio.to_thread(running.start)
    except BaseException:
        running.stop()
        for name in (*SERVICES, "gateway", "broker"):
            log = running.log_path(name)
            if log.exists():
                print(f"--- {name} log ---\n{log.read_text()[-4000:]}")
        raise
    yield running
    await asyncio.to_thread(running.stop)
