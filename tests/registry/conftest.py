"""The registry service running on its own PostgreSQL database and the embedded broker."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import httpx
import pytest

from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.testing import dev_token, running_app
from kamkor_registry.config import RegistrySettings
from kamkor_registry.main import create_app

Auth = Callable[..., dict[str, str]]
NewHousehold = Callable[..., dict[str, Any]]
PinFor = Callable[..., str]


@pytest.fixture(scope="session")
async def registry_client(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[httpx.AsyncClient]:
    settings = RegistrySettings(
        DATABASE_URL=await make_database("registry"),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
    )
    async with running_app(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def auth() -> Auth:
    """Authorization headers for a role, optionally bound to a region and districts."""

    def _auth(
        role: str, *, region: str | None = None, districts: Sequence[str] = ()
    ) -> dict[str, str]:
        token = dev_token(role, region=region, districts=districts)
        return {"Authorization": f"Bearer {token}"}

    return _auth


# Each run has a fresh database, so a run-wide serial keeps every PIN unique.
_serial = itertools.count(1)


def _pin_for(birth_date: date, *, first_digit: str = "2") -> str:
    return f"{first_digit}{birth_date:%d%m%Y}{next(_serial):05d}"


@pytest.fixture(scope="session")
def pin_for() -> PinFor:
    """Makes a fresh 14-digit PIN in the common form that encodes the given birth date."""
    return _pin_for


@pytest.fixture(scope="session")
def new_household() -> NewHousehold:
    """A valid registration in Jalal-Abad (a grandmother and a child), with overrides."""

    def _new(**overrides: Any) -> dict[str, Any]:
        child_birth = date(2016, 4, 12)
        body: dict[str, Any] = {
            "region": "KG-J",
            "district": "KG-J-06",
            "settlement": "Kochkor-Ata",
            "address": "Toktogul st. 12",
            "phone": "+996 555 123 456",
            "language": "ky",
            "members": [
                {
                    "role": "grandparent",
                    "family_name": "Адылбекова",
                    "given_name": "Гүлнара",
                    "patronymic": "Асановна",
                    "sex": "female",
                    "birth_date": "1958-09-03",
                },
                {
                    "role": "child",
                    "family_name": "Адылбекова",
                    "given_name": "Айдай",
                    "sex": "female",
                    "birth_date": child_birth.isoformat(),
                    "pin": _pin_for(child_birth, first_digit="1"),
                },
            ],
        }
        body.update(overrides)
        return body

    return _new
