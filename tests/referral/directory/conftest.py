"""Referral services on empty directories of their own, so that what tests add routes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from kamkor_common.db import Database
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.testing import dev_token, running_app
from kamkor_referral.config import ReferralSettings
from kamkor_referral.main import create_app


@dataclass
class DirectoryHarness:
    client: httpx.AsyncClient
    settings: ReferralSettings
    database: Database

    def token(self, role: str = "admin", **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {dev_token(role, settings=self.settings, **claims)}"}


async def _directory(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]], label: str
) -> AsyncIterator[DirectoryHarness]:
    settings = ReferralSettings(
        DATABASE_URL=await make_database(label),
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        SEED_REFERENCE_DATA=False,
        ROLE="api",
    )
    database = Database(settings.DATABASE_URL)
    async with running_app(create_app(settings)) as client:
        yield DirectoryHarness(client=client, settings=settings, database=database)
    await database.dispose()


@pytest.fixture(scope="session")
async def directory(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[DirectoryHarness]:
    """An API-only referral service whose directory starts empty, for admins' changes."""
    async for harness in _directory(broker, make_database, "referral_directory"):
        yield harness


@pytest.fixture(scope="session")
async def empty_directory(
    broker: EmbeddedBroker, make_database: Callable[[str], Awaitable[str]]
) -> AsyncIterator[DirectoryHarness]:
    """Another, left empty until the HSDS round trip imports into it."""
    async for harness in _directory(broker, make_database, "referral_hsds"):
        yield harness
