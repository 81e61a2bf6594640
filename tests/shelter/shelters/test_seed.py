"""The reference shelters seeded at start, and their first capacity snapshots."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, CapacityChanged
from kamkor_common.reference.partners import SHELTERS, SeedShelter
from kamkor_shelter.shelters.models import Shelter
from kamkor_shelter.shelters.seed import seed


class TestSeed:
    async def test_every_reference_shelter_is_readable_with_its_beds(self, shelter):
        for reference in SHELTERS:
            response = await shelter.client.get(
                f"/api/v1/shelters/{reference.id}", headers=shelter.auth("analyst")
            )
            assert response.status_code == 200
            body = response.json()
            assert body["organization_id"] == reference.organization_id
            assert (body["region"], body["district"]) == (reference.region, reference.district)
            assert body["confidential_address"] is False
            totals = {c["category"]: c["total"] for c in body["categories"]}
            assert totals == reference.beds
            for category in body["categories"]:
                assert category["out_of_service"] == 0
                assert category["occupied"] == 0

    async def test_seeding_again_adds_nothing(self, shelter):
        ids = [reference.id for reference in SHELTERS]
        count = select(func.count()).select_from(Shelter).where(col(Shelter.id).in_(ids))
        await seed(shelter.database)
        async with shelter.database.sessionmaker() as session:
            assert await session.scalar(count) == len(SHELTERS)

    async def test_each_seeded_shelter_publishes_a_snapshot(self, shelter, capacity_events):
        # Other suites announce snapshots of the same reference shelters on the shared topic
        # (with other bed counts): look for the one this seed publishes.
        def seeded(event: CloudEvent, reference: SeedShelter) -> bool:
            snapshot = CapacityChanged.model_validate(event.data)
            return (
                event.partitionkey == reference.id
                and snapshot.organization_id == reference.organization_id
                and {c.category: c.total for c in snapshot.categories} == reference.beds
            )

        for reference in SHELTERS:
            # Fails after its timeout when the seed published no such snapshot.
            await capacity_events.wait_for(
                CAPACITY_CHANGED.type, lambda e, r=reference: seeded(e, r)
            )
