"""Test support: throw-away PostgreSQL databases, in-process apps, dev tokens."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg
import httpx
from fastapi import FastAPI

from kamkor_common.db import Database
from kamkor_common.issuer import EmbeddedIssuer
from kamkor_common.messaging.broker import free_port
from kamkor_common.settings import KamkorSettings

ADMIN_URL_ENV = "KAMKOR_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin_url() -> str:
    return os.environ.get(ADMIN_URL_ENV, DEFAULT_ADMIN_URL)


def database_url(name: str) -> str:
    """The async SQLAlchemy URL of database `name` on the test server."""
    base = admin_url().rsplit("/", 1)[0]
    return base.replace("postgresql://", "postgresql+asyncpg://", 1) + "/" + name


async def create_database(label: str) -> str:
    """Create a fresh database for this run and return its name."""
    name = f"kamkor_test_{uuid.uuid4().hex[:8]}_{label}"
    conn = await asyncpg.connect(admin_url())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(admin_url())
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def running_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run an app's lifespan (migrations, workers) and talk to it in-process."""
    from asgi_lifespan import LifespanManager

    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def dev_token(
    role: str,
    *,
    organization_id: str | None = None,
    region: str | None = None,
    districts: Sequence[str] = (),
    subject: str = "test-user",
    settings: KamkorSettings | None = None,
) -> str:
    """A token from the embedded issuer, for tests and local use."""
    settings = settings or KamkorSettings()
    return EmbeddedIssuer.from_settings(settings).issue(
        subject=subject,
        role=role,
        organization_id=organization_id,
        region=region,
        districts=districts,
    )


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]],
    *,
    timeout_s: float = 20,
    interval_s: float = 0.05,
) -> None:
    """Poll a condition (plain or async) until it holds; fail clearly when time is up."""

    async def holds() -> bool:
        result = predicate()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    deadline = time.monotonic() + timeout_s
    while not await holds():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout_s} s")
        await asyncio.sleep(interval_s)


@dataclass(frozen=True)
class ReceivedSpan:
    service: str
    name: str
    trace_id: str
    attributes: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class OtlpReceiver:
    """A minimal OTLP/HTTP receiver: decodes the trace and metric export requests it gets."""

    port: int
    spans: list[ReceivedSpan] = field(default_factory=list)
    # Metric names received, with the services that sent each.
    metrics: dict[str, set[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add(self, body: bytes) -> None:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        received = []
        for resource_spans in request.resource_spans:
            service = next(
                (
                    a.value.string_value
                    for a in resource_spans.resource.attributes
                    if a.key == "service.name"
                ),
                "?",
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {
                        a.key: str(getattr(a.value, a.value.WhichOneof("value") or "string_value"))
                        for a in span.attributes
                    }
                    received.append(
                        ReceivedSpan(service, span.name, span.trace_id.hex(), attributes)
                    )
        with self.lock:
            self.spans.extend(received)

    def add_metrics(self, body: bytes) -> None:
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )

        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        with self.lock:
            for resource_metrics in request.resource_metrics:
                service = next(
                    (
                        a.value.string_value
                        for a in resource_metrics.resource.attributes
                        if a.key == "service.name"
                    ),
                    "?",
                )
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        self.metrics.setdefault(metric.name, set()).add(service)

    def in_trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]


async def create_messaging_tables(database: Database) -> None:
    """Only the outbox and inbox tables: enough to exercise messaging without a service."""
    from sqlmodel import SQLModel

    from kamkor_common.messaging.inbox import InboxMessage
    from kamkor_common.messaging.outbox import OutboxMessage

    tables = [SQLModel.metadata.tables[m.__tablename__] for m in (OutboxMessage, InboxMessage)]
    async with database.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)


def free_socket() -> socket.socket:
    """A socket bound to a free loopback port, not listening yet."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serving_app(
    app: Any, sock: socket.socket | None = None, *, lifespan: Literal["on", "off"] = "off"
) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn over real HTTP on a free port; yields its URL."""
    import uvicorn

    sock = sock or free_socket()
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, log_level="warning", lifespan=lifespan)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    await wait_until(lambda: server.started, timeout_s=10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


class TcpProxy:
    """A TCP proxy on 127.0.0.1 that a test can cut and heal, to simulate a network outage.

    `cut()` closes every connection and stops listening, so that clients see refused
    connections, as when a broker is away; `heal()` listens again on the same port.
    """

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.connections = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return self._server is None

    async def start(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, "127.0.0.1", self.port, reuse_address=True
            )

    async def heal(self) -> None:
        await self.start()

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        if server is not None:
            await server.wait_closed()

    async def stop(self) -> None:
        await self.cut()

    async def _serve(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port
            )
        except OSError:
            client_writer.transport.abort()
            return
        if self._server is None:  # cut while connecting
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        self.connections += 1
        self._writers |= {client_writer, upstream_writer}
        pumps = [
            asyncio.create_task(self._pump(client_reader, upstream_writer)),
            asyncio.create_task(self._pump(upstream_reader, client_writer)),
        ]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_writer, upstream_writer):
                self._writers.discard(writer)
                writer.transport.abort()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
