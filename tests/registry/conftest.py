"""The registry service running on its own PostgreSQL database and the embedded broker."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_common.testing import dev_token, running_app
from kamkor_registry.config import RegistrySettings
from kamkor_registry.main import create_app

Auth = Callable[..., dict[str, str]]
NewHousehold = Callable[..., dict[str, Any]]
OutboxEvents = Callable[..., Awaitable[list[CloudEvent]]]
PinFor = Callable[..., str]


@pytest.fixture(scope="session")
async def registry_settings(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> RegistrySettings:
    return RegistrySettings(
        DATABASE_URL=await make_database("registry"),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
    )


@pytest.fixture(scope="session")
async def registry_client(registry_settings: RegistrySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(registry_settings)) as client:
        yield client


@pytest.fixture(scope="session")
async def registry_database(
    registry_client: httpx.AsyncClient, registry_settings: RegistrySettings
) -> AsyncIterator[Database]:
    """The registry's own database (migrated by the running app), to look at its rows."""
    database = Database(registry_settings.DATABASE_URL, pool_size=1, max_overflow=1)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
def outbox_events(registry_database: Database) -> Callable[..., Awaitable[list[CloudEvent]]]:
    """The events staged in the registry's outbox for a household, oldest first."""

    async def _events(household_id: str, type: str | None = None) -> list[CloudEvent]:
        async with registry_database.sessionmaker() as session:
            query = select(OutboxMessage).where(col(OutboxMessage.key) == household_id)
            if type is not None:
                query = query.where(col(OutboxMessage.event_type) == type)
            rows = await session.scalars(query.order_by(col(OutboxMessage.id)))
            return [CloudEvent.model_validate_json(row.payload) for row in rows.all()]

    return _events


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
