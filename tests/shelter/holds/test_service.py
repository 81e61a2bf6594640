"""The hold rules: never overbook under concurrency, one hold per referral, expiry."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.referral import BedHoldReleaseRequested, BedHoldRequested
from kamkor_common.events.schemas.shelter import HOLD_EXPIRED
from kamkor_shelter.holds import service
from kamkor_shelter.holds.models import BedHold

TTL = timedelta(hours=24)


def _request(shelter_id: str, category: str = "family", **kwargs) -> BedHoldRequested:
    return BedHoldRequested(
        referral_id=kwargs.pop("referral_id", str(uuid.uuid4())),
        household_id=str(uuid.uuid4()),
        shelter_id=shelter_id,
        category=category,
        **kwargs,
    )


async def _place(shelter, request: BedHoldRequested, **kwargs) -> service.HoldOutcome:
    async with shelter.database.sessionmaker() as session, session.begin():
        return await service.request_hold(
            session=session, request=request, ttl=kwargs.pop("ttl", TTL), **kwargs
        )


class TestRequestHold:
    async def test_concurrent_requests_never_overbook(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 5})
        await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/family",
            json={"occupied": 2},
            headers=shelter.auth("admin"),
        )
        requests = [_request(shelter_id) for _ in range(10)]

        outcomes = await asyncio.gather(*(_place(shelter, r) for r in requests))

        placed = [o for o in outcomes if o.hold is not None]
        assert len(placed) == 3
        assert {o.rejection for o in outcomes if o.hold is None} == {"no_capacity"}
        family = await shelter.category(shelter_id, "family")
        assert (family["held"], family["available"]) == (3, 0)
        assert len(await shelter.holds(shelter_id, status="held")) == 3

    async def test_a_repeated_request_answers_with_the_same_hold(self, shelter):
        shelter_id = await shelter.create_shelter({"woman": 3})
        request = _request(shelter_id, "woman")

        first = await _place(shelter, request)
        again = await _place(shelter, request)

        assert first.hold is not None and again.hold is not None
        assert again.hold.id == first.hold.id
        assert (await shelter.category(shelter_id, "woman"))["available"] == 2

    async def test_a_referral_holding_a_bed_elsewhere_gets_no_second_one(self, shelter):
        first_shelter = await shelter.create_shelter({"woman": 3})
        second_shelter = await shelter.create_shelter({"woman": 3})
        referral_id = str(uuid.uuid4())
        first = await _place(shelter, _request(first_shelter, "woman", referral_id=referral_id))

        again = await _place(shelter, _request(second_shelter, "woman", referral_id=referral_id))

        assert again.hold is not None and first.hold is not None
        assert (again.hold.id, again.hold.shelter_id) == (first.hold.id, first_shelter)
        assert (await shelter.category(second_shelter, "woman"))["available"] == 3

    async def test_a_category_the_shelter_lacks_or_an_unknown_shelter_is_rejected(self, shelter):
        shelter_id = await shelter.create_shelter({"woman": 3})

        lacking = await _place(shelter, _request(shelter_id, "child"))
        unknown = await _place(shelter, _request(str(uuid.uuid4())))

        assert (lacking.hold, lacking.rejection) == (None, "no_capacity")
        assert (unknown.hold, unknown.rejection) == (None, "unknown_shelter")

    async def test_a_request_after_release_is_a_new_hold(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 1})
        other_id = await shelter.create_shelter({"family": 1})
        referral_id = str(uuid.uuid4())
        first = await _place(shelter, _request(shelter_id, referral_id=referral_id))
        async with shelter.database.sessionmaker() as session, session.begin():
            await service.release_hold(
                session=session,
                request=BedHoldReleaseRequested(
                    referral_id=referral_id, shelter_id=shelter_id, reason="rejected"
                ),
            )

        second = await _place(shelter, _request(other_id, referral_id=referral_id))

        assert first.hold is not None and second.hold is not None
        assert second.hold.id != first.hold.id
        assert (second.hold.shelter_id, second.hold.status) == (other_id, "held")
        assert (await shelter.category(shelter_id, "family"))["available"] == 1
        assert (await shelter.category(other_id, "family"))["available"] == 0


class TestReleaseHold:
    async def test_releasing_frees_the_bed_once(self, shelter):
        shelter_id = await shelter.create_shelter({"child": 2})
        request = _request(shelter_id, "child")
        await _place(shelter, request)
        release = BedHoldReleaseRequested(
            referral_id=request.referral_id, shelter_id=shelter_id, reason="cancelled"
        )

        async with shelter.database.sessionmaker() as session, session.begin():
            released = await service.release_hold(session=session, request=release)
        async with shelter.database.sessionmaker() as session, session.begin():
            again = await service.release_hold(session=session, request=release)

        assert released is not None
        assert (released.status, released.reason) == ("released", "cancelled")
        assert again is None
        assert (await shelter.category(shelter_id, "child"))["available"] == 2


class TestExpireDueHolds:
    async def test_expires_only_holds_whose_time_is_up(self, shelter, capacity_events):
        shelter_id = await shelter.create_shelter({"family": 4})
        now = utcnow()
        short = await _place(shelter, _request(shelter_id), ttl=timedelta(hours=1), now=now)
        long = await _place(shelter, _request(shelter_id), ttl=timedelta(hours=48), now=now)
        assert short.hold is not None and long.hold is not None

        async with shelter.database.sessionmaker() as session, session.begin():
            early = await service.expire_due_holds(session=session, now=now + timedelta(minutes=30))
        assert short.hold.id not in {hold.id for hold in early}

        async with shelter.database.sessionmaker() as session, session.begin():
            expired = await service.expire_due_holds(session=session, now=now + timedelta(hours=2))
        assert short.hold.id in {hold.id for hold in expired}
        assert long.hold.id not in {hold.id for hold in expired}

        async with shelter.database.sessionmaker() as session:
            statuses = dict(
                (
                    await session.execute(
                        select(BedHold.id, BedHold.status).where(
                            BedHold.shelter_id == shelter_id  # type: ignore[arg-type]
                        )
                    )
                ).all()
            )
        assert statuses == {short.hold.id: "expired", long.hold.id: "held"}
        family = await shelter.category(shelter_id, "family")
        assert (family["held"], family["available"]) == (1, 3)
        [event] = await capacity_events.wait_for(
            HOLD_EXPIRED, lambda e: e.data["hold_id"] == short.hold.id
        )
        assert event.data["reason"] == "expired"
