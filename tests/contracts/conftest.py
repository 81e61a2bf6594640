"""The four services on PostgreSQL and a gateway in front of them, for schemathesis.

Schemathesis tests are plain (synchronous) pytest tests that send real HTTP requests,
while the apps are asyncio servers. The apps therefore run on an event loop of their
own, in a background thread, for the whole session: the test thread only talks HTTP to
them. The services run as `api` only: the fuzzing is about the HTTP surface, and the
outbox keeps whatever they write without a broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from kamkor_common.reference.partners import MOTHERS_HOME, SHELTER_OPERATOR
from kamkor_common.testing import (
    create_database,
    database_url,
    dev_token,
    drop_database,
    serving_app,
)
from kamkor_gateway.apidocs.service import merge
from kamkor_gateway.config import GatewaySettings
from kamkor_gateway.main import create_app as create_gateway
from kamkor_referral.config import ReferralSettings
from kamkor_referral.main import create_app as create_referral
from kamkor_registry.config import RegistrySettings
from kamkor_registry.main import create_app as create_registry
from kamkor_risk.config import RiskSettings
from kamkor_risk.main import create_app as create_risk
from kamkor_shelter.config import ShelterSettings
from kamkor_shelter.main import create_app as create_shelter

T = TypeVar("T")

SERVICES = ("registry", "risk", "referral", "shelter")

# Who the generated requests come from: every role the routes tell apart, bound to the
# places and organisations of the seeded reference data.
TOKENS: dict[str, str] = {
    "admin": dev_token("admin"),
    "social_worker": dev_token("social_worker", region="KG-J", districts=["KG-J-06", "KG-J-09"]),
    "supervisor": dev_token("supervisor", region="KG-GB"),
    "auditor": dev_token("auditor"),
    "partner": dev_token("partner", organization_id=MOTHERS_HOME),
    "shelter_staff": dev_token("shelter_staff", organization_id=SHELTER_OPERATOR),
}

# Bounded so that the whole contracts folder stays within a few minutes on a loaded
# machine; the coverage phase adds its own deterministic cases on top of these.
CONFIG: dict[str, Any] = {
    "seed": 20261202,
    "generation": {"mode": "all", "max-examples": 15, "deterministic": True},
    "phases": {
        "examples": {"enabled": True},
        "coverage": {"enabled": True},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": False},
    },
}


@dataclass
class BackgroundLoop:
    """An event loop on a thread of its own that serves apps while tests block."""

    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        if self.thread is not None:
            self.thread.join(30)
        self.loop.close()


@dataclass
class Platform:
    """The URLs of the running services and gateway."""

    urls: dict[str, str]
    gateway: str


@contextlib.asynccontextmanager
async def _platform() -> AsyncIterator[Platform]:
    names: list[str] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            for service in SERVICES:
                names.append(await create_database(f"contracts_{service}"))
            names.append(await create_database("contracts_gateway"))
            registry_db, risk_db, referral_db, shelter_db, gateway_db = (
                database_url(n) for n in names
            )
            common: dict[str, Any] = {"ENVIRONMENT": "test", "ROLE": "api"}
            urls: dict[str, str] = {}
            urls["registry"] = await stack.enter_async_context(
                serving_app(
                    create_registry(RegistrySettings(DATABASE_URL=registry_db, **common)),
                    lifespan="on",
                )
            )
            urls["risk"] = await stack.enter_async_context(
                serving_app(
                    create_risk(
                        RiskSettings(DATABASE_URL=risk_db, REGISTRY_URL=urls["registry"], **common)
                    ),
                    lifespan="on",
                )
            )
            urls["referral"] = await stack.enter_async_context(
                serving_app(
                    create_referral(
                        ReferralSettings(
                            DATABASE_URL=referral_db, SEED_REFERENCE_DATA=True, **common
                        )
                    ),
                    lifespan="on",
                )
            )
            urls["shelter"] = await stack.enter_async_context(
                serving_app(
                    create_shelter(
                        ShelterSettings(DATABASE_URL=shelter_db, SEED_REFERENCE_DATA=True, **common)
                    ),
                    lifespan="on",
                )
            )
            gateway_settings = GatewaySettings(
                ENVIRONMENT="test",
                DATABASE_URL=gateway_db,
                # Schemathesis sends thousands of requests with a few tokens: they are to
                # meet the API, not the rate limit.
                RATE_LIMIT_ANONYMOUS="1000000/minute",
                RATE_LIMIT_PARTNER="1000000/minute",
                RATE_LIMIT_STAFF="1000000/minute",
                REGISTRY_URL=urls["registry"],
                RISK_URL=urls["risk"],
                REFERRAL_URL=urls["referral"],
                SHELTER_URL=urls["shelter"],
            )
            gateway = await stack.enter_async_context(
                serving_app(create_gateway(gateway_settings), lifespan="on")
            )
            yield Platform(urls=urls, gateway=gateway)
    finally:
        for name in names:
            await drop_database(name)


@pytest.fixture(scope="package")
def platform() -> Iterator[Platform]:
    """Every service and the gateway over real HTTP, served from a background loop.

    Package-scoped: its database connections are given back once this folder is done,
    rather than held while the rest of the suite runs.
    """
    background = BackgroundLoop()
    background.start()
    manager = _platform()
    try:
        yield background.run(manager.__aenter__())
    finally:
        background.run(manager.__aexit__(None, None, None))
        background.stop()


def service_apps(**settings: Any) -> dict[str, FastAPI]:
    """Each service's app, built (not started) with the given settings."""
    return {
        "registry": create_registry(RegistrySettings(**settings)),
        "risk": create_risk(RiskSettings(**settings)),
        "referral": create_referral(ReferralSettings(**settings)),
        "shelter": create_shelter(ShelterSettings(**settings)),
    }


def documents() -> dict[str, dict[str, Any]]:
    """The OpenAPI document of each service and the gateway's merged one, from the code.

    Built without serving anything so that schemathesis can make one test per operation
    at collection time; `test_served_documents` checks that the running processes serve
    exactly these.
    """
    built = {name: app.openapi() for name, app in service_apps(ENVIRONMENT="test").items()}
    gateway = create_gateway(GatewaySettings(ENVIRONMENT="test"))
    built["gateway"] = merge(gateway.openapi(), built, unavailable=[])
    # What a client gets is the document as JSON.
    return {name: json.loads(json.dumps(document)) for name, document in built.items()}


DOCUMENTS = documents()


def load_schema(document: dict[str, Any]) -> BaseSchema:
    return schemathesis.openapi.from_dict(document, config=SchemathesisConfig.from_dict(CONFIG))
