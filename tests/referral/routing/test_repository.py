"""The routing queries on PostgreSQL: open referrals per service, bed holds not yet answered."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_referral.directory.service import seed_directory
from kamkor_referral.referrals.models import Referral
from kamkor_referral.routing.repository import candidates, holds_awaiting_answer, open_referrals

NOW = utcnow()


@pytest.fixture
async def session(referral: Any) -> AsyncIterator[AsyncSession]:
    """A session whose changes are rolled back: nothing here reaches the running service."""
    async with referral.database.sessionmaker() as session:
        yield session
        await session.rollback()


def a_referral(**fields: Any) -> Referral:
    values: dict[str, Any] = {
        "household_id": str(uuid.uuid4()),
        "service_type": "temporary_shelter",
        "priority": "urgent",
        "status": "requested",
        "region": "KG-B",
        "district": "KG-B-05",
        "language": "ky",
        **fields,
    }
    return Referral(**values)


def hold_request(shelter_id: str, *, asked_ago: timedelta, **fields: Any) -> Referral:
    values: dict[str, Any] = {
        "shelter_id": shelter_id,
        "hold_status": "requested",
        "hold_category": "family",
        "hold_requested_at": NOW - asked_ago,
        **fields,
    }
    return a_referral(**values)


async def add(session: AsyncSession, *rows: Referral) -> None:
    session.add_all(rows)
    await session.flush()


class TestHoldsAwaitingAnswer:
    async def test_counts_recent_unanswered_requests_of_the_category(
        self, session: AsyncSession
    ) -> None:
        first, second = str(uuid.uuid4()), str(uuid.uuid4())
        await add(
            session,
            hold_request(first, asked_ago=timedelta(seconds=5)),
            hold_request(first, asked_ago=timedelta(minutes=9)),
            hold_request(second, asked_ago=timedelta(seconds=30)),
            # Another category of beds at the same shelter.
            hold_request(
                first,
                asked_ago=timedelta(seconds=5),
                service_type="crisis_centre",
                hold_category="mother_child",
            ),
            # Answered already: the shelter's snapshots count these.
            hold_request(first, asked_ago=timedelta(seconds=5), hold_status="held"),
            hold_request(first, asked_ago=timedelta(seconds=5), hold_status="rejected"),
        )
        awaiting = await holds_awaiting_answer(
            session,
            category="family",
            shelter_ids=[first, second],
            asked_since=NOW - timedelta(minutes=10),
        )
        assert awaiting == {first: 2, second: 1}
        mother_child = await holds_awaiting_answer(
            session,
            category="mother_child",
            shelter_ids=[first, second],
            asked_since=NOW - timedelta(minutes=10),
        )
        assert mother_child == {first: 1}

    async def test_old_requests_no_longer_count(self, session: AsyncSession) -> None:
        shelter_id = str(uuid.uuid4())
        await add(
            session,
            hold_request(shelter_id, asked_ago=timedelta(minutes=11)),
            hold_request(shelter_id, asked_ago=timedelta(days=3)),
        )
        awaiting = await holds_awaiting_answer(
            session,
            category="family",
            shelter_ids=[shelter_id],
            asked_since=NOW - timedelta(minutes=10),
        )
        assert awaiting == {}

    async def test_the_referral_being_routed_is_left_out(self, session: AsyncSession) -> None:
        shelter_id = str(uuid.uuid4())
        own = hold_request(shelter_id, asked_ago=timedelta(seconds=5))
        await add(session, own, hold_request(shelter_id, asked_ago=timedelta(seconds=5)))
        awaiting = await holds_awaiting_answer(
            session,
            category="family",
            shelter_ids=[shelter_id],
            asked_since=NOW - timedelta(minutes=10),
            excluding=own.id,
        )
        assert awaiting == {shelter_id: 1}


class TestOpenReferrals:
    async def test_every_state_at_the_partner_counts_on_hold_too(
        self, session: AsyncSession
    ) -> None:
        service_id = str(uuid.uuid4())
        await add(
            session,
            *(
                a_referral(service_id=service_id, status=status)
                for status in (
                    "requested",
                    "accepted",
                    "in_progress",
                    "on_hold",
                    "completed",
                    "rejected",
                    "cancelled",
                )
            ),
        )
        assert await open_referrals(session, service_ids=[service_id]) == {service_id: 4}

    async def test_the_referral_being_routed_is_left_out(self, session: AsyncSession) -> None:
        service_id = str(uuid.uuid4())
        own = a_referral(service_id=service_id, status="requested")
        await add(session, own, a_referral(service_id=service_id, status="on_hold"))
        assert await open_referrals(session, service_ids=[service_id], excluding=own.id) == {
            service_id: 1
        }


class TestCandidates:
    async def test_load_leaves_out_the_referral_being_routed(self, session: AsyncSession) -> None:
        service_id = str(uuid.uuid4())
        await seed_directory(
            session=session,
            organizations=(
                SeedOrganization(
                    id=str(uuid.uuid4()),
                    name="Batken home care",
                    type="ngo",
                    languages=("ky",),
                    services=(
                        SeedService(
                            service_id,
                            "home_care_support",
                            "Home care, Kadamjay",
                            ("KG-B-05",),
                            open_referral_limit=2,
                        ),
                    ),
                ),
            ),
        )
        own = a_referral(service_id=service_id, service_type="home_care_support")
        await add(session, own, a_referral(service_id=service_id, status="on_hold"))

        def load(found: list[Any]) -> int:
            [mine] = [c for c in found if c.service_id == service_id]
            return int(mine.open_referrals)

        everyone = await candidates(session, service_type="home_care_support")
        assert load(everyone) == 2
        rerouting = await candidates(session, service_type="home_care_support", referral_id=own.id)
        assert load(rerouting) == 1
