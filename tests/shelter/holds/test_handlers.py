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

        sent = await referrals.publish(
            BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id
        )

        [placed] = await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert placed.partitionkey == shelter_id
        assert placed.causationid == sent.id
        assert placed.correlationid == sent.id
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED.type, lambda e: e.causationid == sent.id
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

        await referrals.publish(BED_HOLD_REQUESTED.type, first, referral_id=first.referral_id)
        await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == first.referral_id
        )
        sent = await referrals.publish(
            BED_HOLD_REQUESTED.type, second, referral_id=second.referral_id
        )

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED.type, lambda e: e.data["referral_id"] == second.referral_id
        )
        assert rejected.data["reason"] == "no_capacity"
        assert rejected.causationid == sent.id
        assert [h["referral_id"] for h in await shelter.holds(shelter_id)] == [first.referral_id]
        assert (await shelter.category(shelter_id, "mother_child"))["available"] == 0

    async def test_an_unknown_shelter_is_rejected(self, referrals, capacity_events):
        request = _request(str(uuid.uuid4()))

        await referrals.publish(BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id)

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert rejected.data["reason"] == "unknown_shelter"

    async def test_a_duplicate_request_keeps_one_hold(self, shelter, referrals, capacity_events):
        shelter_id = await shelter.create_shelter({"family": 3})
        request = _request(shelter_id)

        # Two separate events (not one redelivered) asking for the same referral's bed.
        for _ in range(2):
            await referrals.publish(
                BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id
            )

        answers = await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == request.referral_id, count=2
        )
        assert len({answer.data["hold_id"] for answer in answers}) == 1
        assert len(await shelter.holds(shelter_id)) == 1
        family = await shelter.category(shelter_id, "family")
        assert (family["held"], family["available"]) == (1, 2)

    async def test_a_release_request_frees_the_bed(self, shelter, referrals, capacity_events):
        shelter_id = await shelter.create_shelter({"woman": 2})
        request = _request(shelter_id, "woman")
        await referrals.publish(BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id)
        [placed] = await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == request.referral_id
        )

        release = BedHoldReleaseRequested(
            referral_id=request.referral_id, shelter_id=shelter_id, reason="cancelled"
        )
        sent = await referrals.publish(
            BED_HOLD_RELEASE_REQUESTED.type, release, referral_id=request.referral_id
        )

        [released] = await capacity_events.wait_for(
            HOLD_RELEASED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert released.data["hold_id"] == placed.data["hold_id"]
        assert released.data["reason"] == "cancelled"
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED.type, lambda e: e.causationid == sent.id
        )
        assert _available(snapshot, "woman") == 2
        [hold] = await shelter.holds(shelter_id)
        assert hold["status"] == "released"

        async def freed() -> bool:
            return (await shelter.category(shelter_id, "woman"))["available"] == 2

        await wait_until(freed)

    async def test_fewer_than_one_bed_is_answered_not_dead_lettered(
        self, shelter, referrals, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"family": 3})
        request = _request(shelter_id).model_copy(update={"beds": 0})

        sent = await referrals.publish(
            BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id
        )

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert (rejected.data["reason"], rejected.causationid) == ("invalid_request", sent.id)
        assert await shelter.holds(shelter_id) == []

    async def test_a_request_elsewhere_while_holding_a_bed_is_rejected(
        self, shelter, referrals, capacity_events
    ):
        first_shelter = await shelter.create_shelter({"family": 3})
        second_shelter = await shelter.create_shelter({"family": 3})
        first = _request(first_shelter)
        second = _request(second_shelter, referral_id=first.referral_id)
        await referrals.publish(BED_HOLD_REQUESTED.type, first, referral_id=first.referral_id)

        sent = await referrals.publish(
            BED_HOLD_REQUESTED.type, second, referral_id=first.referral_id
        )

        [rejected] = await capacity_events.wait_for(
            HOLD_REJECTED.type, lambda e: e.causationid == sent.id
        )
        assert (rejected.data["shelter_id"], rejected.data["reason"]) == (
            second_shelter,
            "held_elsewhere",
        )
        assert rejected.partitionkey == second_shelter
        placed = capacity_events.find(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == first.referral_id
        )
        assert [e.data["shelter_id"] for e in placed] == [first_shelter]
        assert await shelter.holds(second_shelter) == []

    async def test_a_release_naming_another_shelter_publishes_nothing(
        self, shelter, referrals, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"woman": 2})
        request = _request(shelter_id, "woman")
        await referrals.publish(BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id)
        await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == request.referral_id
        )

        elsewhere = BedHoldReleaseRequested(
            referral_id=request.referral_id, shelter_id=str(uuid.uuid4()), reason="cancelled"
        )
        ignored = await referrals.publish(
            BED_HOLD_RELEASE_REQUESTED.type, elsewhere, referral_id=request.referral_id
        )
        # The same key keeps the order: once this one is answered, the first was handled.
        here = elsewhere.model_copy(update={"shelter_id": shelter_id})
        await referrals.publish(
            BED_HOLD_RELEASE_REQUESTED.type, here, referral_id=request.referral_id
        )

        [released] = await capacity_events.wait_for(
            HOLD_RELEASED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert released.data["shelter_id"] == shelter_id
        assert (
            capacity_events.find(CAPACITY_CHANGED.type, lambda e: e.causationid == ignored.id) == []
        )

    async def test_a_release_gives_a_code_not_the_partners_words(
        self, shelter, referrals, capacity_events
    ):
        shelter_id = await shelter.create_shelter({"child": 2})
        request = _request(shelter_id, "child")
        await referrals.publish(BED_HOLD_REQUESTED.type, request, referral_id=request.referral_id)
        await capacity_events.wait_for(
            HOLD_PLACED.type, lambda e: e.data["referral_id"] == request.referral_id
        )

        release = BedHoldReleaseRequested(
            referral_id=request.referral_id,
            shelter_id=shelter_id,
            reason="the partner rejected the referral: no room for the grandmother",
        )
        await referrals.publish(
            BED_HOLD_RELEASE_REQUESTED.type, release, referral_id=request.referral_id
        )

        [released] = await capacity_events.wait_for(
            HOLD_RELEASED.type, lambda e: e.data["referral_id"] == request.referral_id
        )
        assert released.data["reason"] == "released"
        [hold] = await shelter.holds(shelter_id)
        assert (hold["status"], hold["reason"]) == ("released", "released")
