"""The person search on both databases: the PostgreSQL registry and one on a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.testing import running_app
from kamkor_registry.config import RegistrySettings
from kamkor_registry.main import create_app
from tests.registry.conftest import Auth

HOUSEHOLDS = "/api/v1/registry/households"
SEARCH = "/api/v1/registry/persons/search"

Register = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def sqlite_registry_client(
    broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """The registry as `make run` starts it: a SQLite file, migrated at start-up."""
    path = tmp_path_factory.mktemp("registry") / "registry.db"
    settings = RegistrySettings(
        DATABASE_URL=f"sqlite:///{path}",
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
    )
    async with running_app(create_app(settings)) as client:
        yield client


@pytest.fixture(params=["postgresql", "sqlite"])
def client(
    request: pytest.FixtureRequest,
) -> httpx.AsyncClient:
    """Each search test runs against the PostgreSQL path and the SQLite path."""
    fixture = "registry_client" if request.param == "postgresql" else "sqlite_registry_client"
    found: httpx.AsyncClient = request.getfixturevalue(fixture)
    return found


def worker(auth: Auth, district: str, region: str = "KG-C") -> dict[str, str]:
    return auth("social_worker", region=region, districts=[district])


@pytest.fixture
def register(client: httpx.AsyncClient, auth: Auth) -> Register:
    """Registers one person (with a caregiver) in a district; answers the person's record."""

    async def _register(
        family_name: str,
        given_name: str,
        *,
        district: str = "KG-C-05",
        region: str = "KG-C",
        birth_date: date = date(2015, 3, 1),
    ) -> dict[str, Any]:
        body = {
            "region": region,
            "district": district,
            "settlement": "Kant",
            "address": "Lenin st. 1",
            "language": "ky",
            "members": [
                {
                    "role": "caregiver",
                    "family_name": "Токтосунова",
                    "given_name": "Бурул",
                    "sex": "female",
                    "birth_date": "1960-01-01",
                },
                {
                    "role": "child",
                    "family_name": family_name,
                    "given_name": given_name,
                    "sex": "female",
                    "birth_date": birth_date.isoformat(),
                },
            ],
        }
        response = await client.post(HOUSEHOLDS, json=body, headers=worker(auth, district, region))
        assert response.status_code == 201, response.text
        household: dict[str, Any] = response.json()
        child = next(m for m in household["members"] if m["role"] == "child")
        return {**child, "household_id": household["id"], "district": district}

    return _register
