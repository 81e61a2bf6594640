"""The housing saga over the broker: hold requests in, hold outcomes and snapshots out."""

from __future__ import annotations

import uuid

from kamkor_common.events.schemas.referral import (
    BED_HOLD_RELEASE_REQUESTED,
    BED_HOLD_REQUESTED,
    BedHoldReleaseRequested,
    BedHoldRequested,
)
from kamkor_common.events.schemas.shelter import (
    CAPACITY_CHANGED,
    HOLD_PLACED,
    HOLD_REJECTED,
    HOLD_RELEASED,
    CapacityChanged,
)
from kamkor_common.testing import wait_until


def _request(shelter_id: str, category: str = "family", referral_id: str | None = None):
    return BedHoldRequested(
        referral_id=referral_id or str(uuid.uuid4()),
        household_id=str(uuid.uuid4()),
        shelter_id=shelter_id,
        category=category,
    )


def _available(snapshot_event, category: str) -> int:
    snapshot = CapacityChanged.model_validate(snapshot_event.data)
    [found] = [c for c in snapshot.categories if c.category == category]
    return found.available


class TestReferralConsumer:
    async def test_a_requested_hold_is_placed_and_published(
        self, shelter, referrals, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"family": 3})
        request = _request(shelter_id)

        sent = await referrals.publish(BED_HOLD_REQUESTED, request, referral_id=request.referral_id)

        [placed] = await capacity_events.wait_for(
            HOLD_PLACED, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert placed.partitionkey == shelter_id
        assert placed.causationid == sent.id
        assert placed.correlationid == sent.id
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED, lambda e: e.causationid == sent.id
        )
        assert snapshot.partitionkey == shelter_id
        assert _available(snapshot, "family") == 2
        [hold] = await shelter.holds(shelter_id)
        assert (hold["referral_id"], hold["status"], hold["beds"]) == (
            request.referral_id,
            "held",
            1,
        )
        assert hold["id"] == placed.data["hold_id"]
        family = await shelter.category(shelter_id, "family")
        assert (family["held"], family["available"]) == (1, 2)

    async def test_a_full_category_is_rejected_for_lack_of_capacity(
        self, shelter, referrals, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"mother_child": 1})
        first = _request(shelter_id, "mother_child")
        second = _request(shelter_id, "mother_child")

        await referrals.publish(BED_HOLD_REQUESTED, first, referral_id=first.referral_id)
        await capacity_events.wait_for(
            HOLD_PLACED, lambda e: e.data["referral_id"] == first.referral_id
        )
        sent = await referrals.publish(BED_HOLD_REQUESTED, second, referral_id=second.referral_id)

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED, lambda e: e.data["referral_id"] == second.referral_id
        )
        assert rejected.data["reason"] == "no_capacity"
        assert rejected.causationid == sent.id
        assert [h["referral_id"] for h in await shelter.holds(shelter_id)] == [first.referral_id]
        assert (await shelter.category(shelter_id, "mother_child"))["available"] == 0

    async def test_an_unknown_shelter_is_rejected(self, referrals, capacity_events):
        request = _request(str(uuid.uuid4()))

        await referrals.publish(BED_HOLD_REQUESTED, request, referral_id=request.referral_id)

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert rejected.data["reason"] == "unknown_shelter"

    async def test_a_duplicate_request_keeps_one_hold(self, shelter, referrals, capacity_events):
        shelter_id = await shelter.create_shelter({"family": 3})
        request = _request(shelter_id)

        # Two separate events (not one redelivered) asking for the same referral's bed.
        for _ in range(2):
            await referrals.publish(BED_HOLD_REQUESTED, request, referral_id=request.referral_id)

        answers = await capacity_events.wait_for(
            HOLD_PLACED, lambda e: e.data["referral_id"] == request.referral_id, count=2
        )
        assert len({answer.data["hold_id"] for answer in answers}) == 1
        assert len(await shelter.holds(shelter_id)) == 1
        family = await shelter.category(shelter_id, "family")
        assert (family["held"], family["available"]) == (1, 2)

    async def test_a_release_request_frees_the_bed(self, shelter, referrals, capacity_events):
        shelter_id = await shelter.create_shelter({"woman": 2})
        request = _request(shelter_id, "woman")
        await referrals.publish(BED_HOLD_REQUESTED, request, referral_id=request.referral_id)
        [placed] = await capacity_events.wait_for(
            HOLD_PLACED, lambda e: e.data["referral_id"] == request.referral_id
        )

        release = BedHoldReleaseRequested(
            referral_id=request.referral_id, shelter_id=shelter_id, reason="cancelled"
        )
        sent = await referrals.publish(
            BED_HOLD_RELEASE_REQUESTED, release, referral_id=request.referral_id
        )

        [released] = await capacity_events.wait_for(
            HOLD_RELEASED, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert released.data["hold_id"] == placed.data["hold_id"]
        assert released.data["reason"] == "cancelled"
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED, lambda e: e.causationid == sent.id
        )
        assert _available(snapshot, "woman") == 2
        [hold] = await shelter.holds(shelter_id)
        assert hold["status"] == "released"

        async def freed() -> bool:
            return (await shelter.category(shelter_id, "woman"))["available"] == 2

        await wait_until(freed)
