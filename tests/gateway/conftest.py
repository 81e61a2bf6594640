"""Fake services over real HTTP, and gateways in front of them.

Each fake answers a few real routes (so that it has an OpenAPI document and the family
view has something to compose) and echoes every other request back as JSON: what
method, path, query, body and headers reached it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from kamkor_common.testing import dev_token, free_socket, running_app, serving_app
from kamkor_gateway.config import GatewaySettings
from kamkor_gateway.main import create_app

PROBLEM_JSON = "application/problem+json"
ECHO_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


class Note(BaseModel):
    """The registry's note: the same schema name as the risk service's, another shape."""

    text: str


class HouseholdRead(BaseModel):
    id: str
    region: str
    note: Note


def risk_models() -> tuple[type[BaseModel], type[BaseModel]]:
    """The risk fake's models, whose `Note` has the registry's name and another shape."""

    class Note(BaseModel):
        score: int

    class FlagRead(BaseModel):
        household_id: str
        domain: str
        note: Note

    class FlagList(BaseModel):
        items: list[FlagRead]
        total: int

    return FlagRead, FlagList


def problem(status: int, code: str, detail: str, **headers: str) -> JSONResponse:
    body = {"type": f"https://kamkor.kg/problems/{code}", "title": code, "status": status}
    return JSONResponse(
        {**body, "detail": detail, "code": code},
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers or None,
    )


@dataclass
class FakeService:
    name: str
    app: FastAPI
    url: str = ""
    ready: bool = True
    received: list[dict[str, Any]] = field(default_factory=list)
    # What /openapi.json answers, and how often it was asked for.
    openapi_status: int = 200
    openapi_requests: int = 0
    # When each request began and ended (monotonic clock), to tell overlap from sequence.
    spans: list[tuple[float, float]] = field(default_factory=list)


def _seen(request: Request) -> dict[str, Any]:
    return {
        "method": request.method,
        "path": request.url.path,
        "query": request.scope["query_string"].decode(),
        "headers": dict(request.headers),
    }


def fake_service(name: str, *, delay_s: float = 0.0) -> FakeService:
    """A stand-in for one Kamkor service, with the routes the gateway relies on."""
    app = FastAPI(title=f"fake {name}")
    fake = FakeService(name=name, app=app)

    @app.middleware("http")
    async def slow_and_counted(request: Request, call_next: Any) -> Response:
        if request.url.path == "/openapi.json":
            fake.openapi_requests += 1
        began = time.monotonic()
        await asyncio.sleep(delay_s)
        if request.url.path == "/openapi.json" and fake.openapi_status != 200:
            return problem(fake.openapi_status, "unavailable", "no document now")
        response: Response = await call_next(request)
        fake.spans.append((began, time.monotonic()))
        return response

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        status = 200 if fake.ready else 503
        return JSONResponse({"status": "ready" if fake.ready else "not_ready"}, status)

    if name == "registry":

        @app.get("/api/v1/registry/households/{household_id}", response_model=HouseholdRead)
        async def household(household_id: str, request: Request) -> Any:
            fake.received.append(_seen(request))
            if household_id == "missing":
                return problem(404, "not_found", "no such household")
            if household_id == "forbidden":
                return problem(403, "forbidden", "not your region")
            return HouseholdRead(id=household_id, region="KG-J", note=Note(text="ok"))

    if name == "risk":
        flag_read, flag_list = risk_models()

        @app.get("/api/v1/risk/flags", response_model=flag_list)
        async def flags(household_id: str, request: Request) -> Any:
            fake.received.append(_seen(request))
            if household_id.startswith("fail-flags") or household_id == "fail-both":
                return problem(500, "internal_error", "boom")
            flag = {"household_id": household_id, "domain": "housing", "note": {"score": 90}}
            return flag_list(items=[flag_read.model_validate(flag)], total=1)

    if name == "referral":

        @app.get("/api/v1/referrals")
        async def referrals(household_id: str, request: Request) -> Any:
            fake.received.append(_seen(request))
            if household_id.startswith("fail-referrals") or household_id == "fail-both":
                return problem(503, "service_unavailable", "database down")
            item = {"household_id": household_id, "service_type": "legal_aid"}
            return {"items": [item], "total": 1, "limit": 50, "offset": 0}

    @app.get("/internal/stats")
    async def stats() -> dict[str, int]:
        """A documented route outside the public API: the merged document leaves it out."""
        return {"received": len(fake.received)}

    @app.api_route("/{path:path}", methods=ECHO_METHODS, include_in_schema=False)
    async def echo(path: str, request: Request) -> Response:
        seen = {
            **_seen(request),
            "service": name,
            "raw_path": request.scope["raw_path"].decode(),
            "body": (await request.body()).decode(),
        }
        fake.received.append(seen)
        await asyncio.sleep(float(request.query_params.get("echo_sleep", 0)))
        status = int(request.query_params.get("echo_status", 200))
        headers = {
            "etag": '"7"',
            "idempotent-replayed": "true",
            "location": f"{request.base_url}{path}/created",
            "x-internal": "stays inside",
            # What the gateway must not let a browser or proxy keep (tests/gateway/test_security).
            "cache-control": "max-age=3600",
        }
        if status >= 400:
            return problem(status, "echo_problem", f"{name} says no", **headers)
        return JSONResponse(seen, status_code=status, headers=headers)

    return fake


def dead_url() -> str:
    """An address where nothing listens: connections are refused at once."""
    with free_socket() as sock:
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def serving(fake: FakeService, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Run a fake service with uvicorn on a free port (or the given socket)."""
    async with serving_app(fake.app, sock) as url:
        fake.url = url
        yield url


async def send_raw(
    url: str, method: str, target: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """One request whose target goes out byte for byte (httpx would resolve `..`)."""
    parsed = httpx.URL(url)
    async with httpcore.AsyncConnectionPool() as pool:
        response = await pool.request(
            method,
            httpcore.URL(
                scheme=b"http", host=parsed.host.encode(), port=parsed.port, target=target.encode()
            ),
            headers=[
                (b"host", parsed.netloc),
                *((k.encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
        )
    response_headers = {k.decode().lower(): v.decode() for k, v in response.headers}
    return response.status, response_headers, json.loads(response.content)


@pytest.fixture(scope="session")
async def fakes() -> AsyncIterator[dict[str, FakeService]]:
    """The four fake services, all up for the whole run."""
    services = {name: fake_service(name) for name in ("registry", "risk", "referral", "shelter")}
    async with contextlib.AsyncExitStack() as stack:
        for fake in services.values():
            await stack.enter_async_context(serving(fake))
        yield services


# The gateways shared by many tests all see one address and one token holder: limits
# far above what the tests send, unless a test sets its own (tests/gateway/test_ratelimit).
HIGH_LIMITS = {
    "RATE_LIMIT_ANONYMOUS": "100000/minute",
    "RATE_LIMIT_PARTNER": "100000/minute",
    "RATE_LIMIT_STAFF": "100000/minute",
}


def gateway_settings(urls: dict[str, str], **overrides: Any) -> GatewaySettings:
    return GatewaySettings(
        ENVIRONMENT="test",
        REGISTRY_URL=urls["registry"],
        RISK_URL=urls["risk"],
        REFERRAL_URL=urls["referral"],
        SHELTER_URL=urls["shelter"],
        # API clients in a throw-away database of this gateway alone.
        **({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"} | HIGH_LIMITS | overrides),
    )


@pytest.fixture(scope="session")
def start_gateway(
    fakes: dict[str, FakeService],
) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Start another gateway: in front of the fakes unless `urls` replaces some of them."""

    @contextlib.asynccontextmanager
    async def _start(
        urls: dict[str, str] | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        all_urls = {name: fake.url for name, fake in fakes.items()} | (urls or {})
        async with running_app(create_app(gateway_settings(all_urls, **overrides))) as client:
            yield client

    return _start


@pytest.fixture(scope="session")
def start_fake() -> Callable[..., contextlib.AbstractAsyncContextManager[FakeService]]:
    """Run another fake service, slowed down or on a socket the test chose."""

    @contextlib.asynccontextmanager
    async def _start(
        name: str, *, delay_s: float = 0.0, sock: socket.socket | None = None
    ) -> AsyncIterator[FakeService]:
        fake = fake_service(name, delay_s=delay_s)
        async with serving(fake, sock):
            yield fake

    return _start


@pytest.fixture(scope="session")
async def gateway(start_gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway in front of the four fakes."""
    async with start_gateway() as client:
        yield client


@pytest.fixture(scope="session")
async def served_gateway(fakes: dict[str, FakeService]) -> AsyncIterator[str]:
    """A gateway in front of the four fakes, served over real HTTP; yields its URL."""
    settings = gateway_settings({name: fake.url for name, fake in fakes.items()})
    async with serving_app(create_app(settings), lifespan="on") as url:
        yield url


@pytest.fixture(scope="session")
async def small_body_gateway(start_gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway that takes request bodies of at most 1 KiB."""
    async with start_gateway(MAX_BODY_BYTES=1024) as client:
        yield client


@pytest.fixture(scope="session")
async def degraded_gateway(start_gateway: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose referral service is down and whose timeout is short."""
    async with start_gateway({"referral": dead_url()}, UPSTREAM_TIMEOUT_S=1.5) as client:
        yield client


@pytest.fixture
def unused_url() -> Callable[[], str]:
    return dead_url


@pytest.fixture
def bound_socket() -> Iterator[socket.socket]:
    """A socket bound to a free port that does not listen yet: connections are refused."""
    sock = free_socket()
    yield sock
    sock.close()


@pytest.fixture(scope="session")
def auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {dev_token('social_worker', region='KG-J')}"}
