"""Consumer group `risk-households`: HouseholdRegistered keeps the read model."""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from kamkor_common.db import Database
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS
from kamkor_common.messaging.producer import Producer
from kamkor_common.testing import wait_until
from tests.risk.conftest import (
    household_registered,
    publish,
    read_household,
    register_household,
)


class TestOnHouseholdRegistered:
    async def test_stores_the_facts_and_the_children_only(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        event = household_registered(
            region="KG-O",
            district="KG-O-02",
            language="ru",
            children=[date(2015, 6, 1), date(2020, 2, 29)],
        )

        household = await register_household(producer, risk_db, event)

        assert (household.region, household.district, household.language) == (
            "KG-O",
            "KG-O-02",
            "ru",
        )
        # The grandmother in the event is not a child.
        assert household.children_birth_dates == ["2015-06-01", "2020-02-29"]
        # Sexes are kept for everyone, the grandmother too.
        assert sorted(household.member_sexes or []) == ["female", "male", "male"]

    async def test_a_later_event_overwrites_the_facts(
        self, risk_client: httpx.AsyncClient, risk_db: Database, producer: Producer
    ) -> None:
        household_id = str(uuid.uuid4())
        first = household_registered(household_id, children=[date(2019, 1, 1)])
        await register_household(producer, risk_db, first)

        await publish(
            producer,
            REGISTRY_HOUSEHOLDS,
            household_registered(household_id, language="en", children=[]),
        )

        async def overwritten() -> bool:
            row = await read_household(risk_db, household_id)
            return row is not None and row.language == "en" and row.children_birth_dates == []

        await wait_until(overwritten, timeout_s=30)
