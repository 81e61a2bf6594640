"""Shelters whose beds go unconfirmed for too long are marked stale, and say so."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED
from kamkor_shelter.api import timers
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.shelters.models import Shelter

STALE_AFTER = timedelta(hours=12)


async def _age(shelter, shelter_id: str, hours: float) -> None:
    """Pretend staff last touched the shelter `hours` ago."""
    async with shelter.database.sessionmaker() as session, session.begin():
        await session.execute(
            update(Shelter)
            .where(col(Shelter.id) == shelter_id)
            .values(updated_at=utcnow() - timedelta(hours=hours))
        )


async def _mark(shelter) -> list[str]:
    async with shelter.database.sessionmaker() as session, session.begin():
        marked = await shelters_service.mark_stale(session=session, stale_after=STALE_AFTER)
    return [s.id for s in marked]


async def _read(shelter, shelter_id: str) -> dict:
    response = await shelter.client.get(
        f"/api/v1/shelters/{shelter_id}", headers=shelter.auth("admin")
    )
    return response.json()


class TestStale:
    async def test_a_shelter_unconfirmed_past_the_threshold_is_stale_in_api_and_snapshot(
        self, shelter, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"family": 2})
        fresh = await shelter.create_shelter({"family": 2})
        await _age(shelter, shelter_id, 13)
        await _age(shelter, fresh, 11)

        # The API says so at once; the worker's mark follows with a snapshot.
        assert (await _read(shelter, shelter_id))["stale"] is True
        assert (await _read(shelter, fresh))["stale"] is False
        marked = await _mark(shelter)

        assert shelter_id in marked and fresh not in marked
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED, lambda e: e.partitionkey == shelter_id and e.data["stale"] is True
        )
        updated_at = snapshot.data["updated_at"]
        assert (await _read(shelter, shelter_id))["updated_at"].startswith(updated_at[:19])
        # Marked once: the next run leaves it be.
        assert shelter_id not in await _mark(shelter)

    async def test_holds_do_not_freshen_a_shelter_but_staff_updates_do(
        self, shelter, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"family": 3})
        await _age(shelter, shelter_id, 20)
        await _mark(shelter)
        async with shelter.database.sessionmaker() as session, session.begin():
            await holds_service.request_hold(
                session=session,
                request=BedHoldRequested(
                    referral_id=str(uuid.uuid4()),
                    household_id=str(uuid.uuid4()),
                    shelter_id=shelter_id,
                    category="family",
                ),
                ttl=timedelta(hours=24),
            )
        assert (await _read(shelter, shelter_id))["stale"] is True

        response = await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/family",
            json={"total": 3},
            headers=shelter.auth("admin"),
        )

        assert response.status_code == 200
        assert (await _read(shelter, shelter_id))["stale"] is False
        await capacity_events.wait_for(
            CAPACITY_CHANGED,
            lambda e: (
                e.partitionkey == shelter_id
                and e.data["stale"] is False
                and e.data["categories"][0]["held"] == 1
            ),
        )

    async def test_a_departure_freshens_a_stale_shelter(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 3})
        admin = shelter.auth("admin")
        stay = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays", json={"category": "family"}, headers=admin
        )
        await _age(shelter, shelter_id, 30)
        await _mark(shelter)
        await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays/{stay.json()['id']}/departure", headers=admin
        )
        assert (await _read(shelter, shelter_id))["stale"] is False

    def test_the_worker_marks_stale_shelters_on_the_configured_period(self, shelter):
        settings = shelter.settings.model_copy(update={"STALE_CHECK_S": 42.0})
        [timer] = [t for t in timers(settings) if t.name == "mark-stale"]
        assert timer.interval_s == 42.0
        assert shelter.settings.STALE_AFTER_HOURS == 12
