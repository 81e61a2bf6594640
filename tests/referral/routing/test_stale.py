"""Routing and shelters whose counts are stale: still routed, preferred less, said so."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_referral.capacity.models import ShelterAvailability
from kamkor_referral.directory.service import seed_directory
from kamkor_referral.routing.schemas import Area, Candidate, RoutingRequest, ShelterBeds
from kamkor_referral.routing.service import decide, plan

REQUEST = RoutingRequest(
    service_type="temporary_shelter",
    region="KG-J",
    district="KG-J-06",
    language="ky",
    shelter_category="family",
)
NETWORK = Candidate(
    organization_id="org-net",
    organization_name="Network",
    service_id="svc-net",
    service_type="temporary_shelter",
    areas=(Area("country", "KG"),),
    languages=("ky",),
)


def beds(shelter_id: str, available: int, **fields: Any) -> ShelterBeds:
    return ShelterBeds(
        shelter_id=shelter_id,
        organization_id="org-net",
        region="KG-J",
        district="KG-J-06",
        category="family",
        available=available,
        **fields,
    )


class TestDecide:
    def test_a_stale_shelter_is_still_routed_to_and_the_reasons_say_how_old(self) -> None:
        decision = decide(REQUEST, [NETWORK], [beds("s-old", 3, stale=True, updated_hours_ago=14)])

        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.shelter.shelter_id == "s-old"
        assert (
            "shelter s-old (in the family's region) has 3 free family beds; "
            "stale: shelter s-old counts last updated 14 h ago"
        ) in decision.reasons
        assert "14 h ago" in decision.summary

    def test_a_fresh_shelter_equally_near_comes_before_a_stale_one(self) -> None:
        shelters = [beds("s-old", 5, stale=True, updated_hours_ago=20), beds("s-new", 1)]
        decision = decide(REQUEST, [NETWORK], shelters)
        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.shelter.shelter_id == "s-new"
        assert not any("stale" in reason for reason in decision.reasons)

    def test_nearness_still_comes_before_freshness(self) -> None:
        far = replace(beds("s-far", 4), region="KG-GB")
        near = beds("s-near", 1, stale=True, updated_hours_ago=13)
        decision = decide(REQUEST, [NETWORK], [far, near])
        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.shelter.shelter_id == "s-near"

    def test_a_skip_names_the_stale_shelters_whose_counts_may_be_wrong(self) -> None:
        shelters = [beds("s-old", 0, stale=True, updated_hours_ago=30), beds("s-full", 0)]
        decision = decide(REQUEST, [NETWORK], shelters)
        assert decision.choice is None
        assert (
            "skipped Network: no free family bed (shelter s-old counts last updated 30 h ago)"
        ) in decision.reasons

    def test_a_stale_shelter_of_unknown_age_is_called_stale(self) -> None:
        decision = decide(REQUEST, [NETWORK], [beds("s-old", 2, stale=True)])
        assert any(r.endswith("stale: shelter s-old is stale") for r in decision.reasons)


@pytest.fixture
async def session(referral: Any) -> AsyncIterator[AsyncSession]:
    """A session whose changes are rolled back: nothing here reaches the running service."""
    async with referral.database.sessionmaker() as session:
        yield session
        await session.rollback()


class TestPlan:
    async def test_the_read_model_s_last_update_reaches_the_reasons(
        self, session: AsyncSession
    ) -> None:
        now = utcnow()
        organization_id, shelter_id = str(uuid.uuid4()), str(uuid.uuid4())
        await seed_directory(
            session=session,
            organizations=(
                SeedOrganization(
                    id=organization_id,
                    name="Kadamjay shelter",
                    type="shelter_operator",
                    languages=("ky",),
                    services=(
                        SeedService(
                            str(uuid.uuid4()),
                            "temporary_shelter",
                            "Shelter, Kadamjay",
                            ("KG-B-05",),
                        ),
                    ),
                ),
            ),
        )
        session.add(
            ShelterAvailability(
                shelter_id=shelter_id,
                category="family",
                organization_id=organization_id,
                region="KG-B",
                district="KG-B-05",
                available=2,
                total=2,
                as_of=now,
                updated_at=now - timedelta(hours=15, minutes=20),
                stale=True,
            )
        )
        await session.flush()
        request = replace(REQUEST, region="KG-B", district="KG-B-05")

        decision = await plan(
            session=session, request=request, hold_answer_ttl=timedelta(minutes=10), now=now
        )

        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.shelter.shelter_id == shelter_id
        assert f"stale: shelter {shelter_id} counts last updated 15 h ago" in decision.summary
