"""Who may see a shelter's holds, and arrivals confirmed by the shelter's staff."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.referral import BedHoldReleaseRequested, BedHoldRequested
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, HOLD_CONFIRMED
from kamkor_shelter.holds import service as holds_service
from kamkor_shelter.holds.models import BedHold

OPERATOR = "org-operator-holds"
# Where the test shelters stand (the defaults of `ShelterService.create_shelter`).
REGION, DISTRICT = "KG-J", "KG-J-09"


async def _hold(
    shelter, shelter_id: str, *, beds: int = 1, ttl: timedelta = timedelta(hours=24)
) -> BedHold:
    async with shelter.database.sessionmaker() as session, session.begin():
        outcome = await holds_service.request_hold(
            session=session,
            request=BedHoldRequested(
                referral_id=str(uuid.uuid4()),
                household_id=str(uuid.uuid4()),
                shelter_id=shelter_id,
                category="family",
                beds=beds,
            ),
            ttl=ttl,
        )
    assert outcome.hold is not None
    return outcome.hold


@pytest.fixture(scope="module")
async def held(shelter) -> tuple[str, str]:
    """A shelter of OPERATOR with one held bed: (shelter id, referral id)."""
    shelter_id = await shelter.create_shelter({"family": 2}, organization_id=OPERATOR)
    hold = await _hold(shelter, shelter_id)
    return shelter_id, hold.referral_id


class TestListHolds:
    @pytest.mark.parametrize(
        ("role", "token"),
        [
            ("social_worker", {"region": REGION, "districts": [DISTRICT]}),
            ("supervisor", {"region": REGION}),
            ("admin", {}),
            ("auditor", {}),
            ("shelter_staff", {"organization_id": OPERATOR}),
            ("partner", {"organization_id": OPERATOR}),
        ],
    )
    async def test_readers_see_the_holds(self, shelter, held, role, token):
        shelter_id, referral_id = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth(role, **token)
        )
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 1
        [hold] = body["items"]
        assert {
            "id",
            "referral_id",
            "shelter_id",
            "category",
            "beds",
            "status",
            "expires_at",
            "created_at",
        } <= hold.keys()
        assert (hold["referral_id"], hold["shelter_id"], hold["status"]) == (
            referral_id,
            shelter_id,
            "held",
        )

    @pytest.mark.parametrize("role", ["shelter_staff", "partner"])
    async def test_another_organisation_gets_404(self, shelter, held, role):
        shelter_id, _ = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth(role, "org-elsewhere")
        )
        assert response.status_code == 404
        assert response.json()["code"] == "shelter_not_found"

    @pytest.mark.parametrize(
        ("role", "token"),
        [
            ("social_worker", {"region": REGION, "districts": ["KG-J-01"]}),
            ("social_worker", {"region": "KG-C", "districts": [DISTRICT]}),
            ("supervisor", {"region": "KG-C"}),
        ],
    )
    async def test_outside_ones_place_gets_404(self, shelter, held, role, token):
        shelter_id, _ = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth(role, **token)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "shelter_not_found"

    @pytest.mark.parametrize(
        ("role", "token"),
        [
            ("social_worker", {}),
            ("social_worker", {"region": REGION}),
            ("supervisor", {}),
        ],
    )
    async def test_a_token_without_its_place_is_refused(self, shelter, held, role, token):
        shelter_id, _ = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth(role, **token)
        )
        assert response.status_code == 403
        assert response.json()["code"] == "scope_missing"

    async def test_the_shelter_itself_stays_readable_without_a_place(self, shelter, held):
        shelter_id, _ = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}", headers=shelter.auth("social_worker")
        )
        assert response.status_code == 200

    async def test_analysts_are_refused(self, shelter, held):
        shelter_id, _ = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth("analyst")
        )
        assert response.status_code == 403

    async def test_filters_by_status(self, shelter, held):
        shelter_id, _ = held
        assert len(await shelter.holds(shelter_id, status="held")) == 1
        assert await shelter.holds(shelter_id, status="released") == []
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds",
            params={"status": "bogus"},
            headers=shelter.auth("admin"),
        )
        assert response.status_code == 422


class TestConfirmHold:
    async def test_an_arrival_turns_held_beds_into_occupied_ones(self, shelter, capacity_events):
        operator = f"org-{uuid.uuid4().hex[:8]}"
        shelter_id = await shelter.create_shelter({"family": 3}, organization_id=operator)
        hold = await _hold(shelter, shelter_id, beds=2)

        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm",
            headers=shelter.auth("shelter_staff", operator),
        )

        assert response.status_code == 200
        assert (response.json()["id"], response.json()["status"]) == (hold.id, "confirmed")
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (2, 0, 1)
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED.type,
            lambda e: e.partitionkey == shelter_id and e.data["categories"][0]["occupied"] == 2,
        )
        [family_snapshot] = snapshot.data["categories"]
        assert (family_snapshot["held"], family_snapshot["available"]) == (0, 1)
        [listed] = await shelter.holds(shelter_id)
        assert listed["status"] == "confirmed"
        [confirmed] = await capacity_events.wait_for(
            HOLD_CONFIRMED.type, lambda e: e.data["hold_id"] == hold.id
        )
        assert (confirmed.data["referral_id"], confirmed.data["beds"]) == (hold.referral_id, 2)

    async def test_confirming_again_counts_nothing_twice(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 3})
        hold = await _hold(shelter, shelter_id)
        url = f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm"

        first = await shelter.client.post(url, headers=shelter.auth("admin"))
        again = await shelter.client.post(url, headers=shelter.auth("admin"))

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json()["status"] == "confirmed"
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (1, 0, 2)

    async def test_a_confirmed_hold_never_expires(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        hold = await _hold(shelter, shelter_id, ttl=timedelta(minutes=1))
        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm", headers=shelter.auth("admin")
        )
        assert response.status_code == 200

        # Only just past this hold's time: the other tests' holds keep theirs.
        async with shelter.database.sessionmaker() as session, session.begin():
            expired = await holds_service.expire_due_holds(
                session=session, now=utcnow() + timedelta(minutes=2)
            )

        assert hold.id not in {h.id for h in expired}
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (1, 0, 1)

    async def test_an_ended_hold_cannot_be_confirmed(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        hold = await _hold(shelter, shelter_id)
        async with shelter.database.sessionmaker() as session, session.begin():
            await holds_service.release_hold(
                session=session,
                request=BedHoldReleaseRequested(
                    referral_id=hold.referral_id, shelter_id=shelter_id, reason="cancelled"
                ),
            )

        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm", headers=shelter.auth("admin")
        )

        assert response.status_code == 409
        assert response.json()["code"] == "hold_not_active"
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (0, 0, 2)

    async def test_a_hold_of_another_shelter_is_404(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        other_id = await shelter.create_shelter({"family": 2})
        hold = await _hold(shelter, other_id)

        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm", headers=shelter.auth("admin")
        )

        assert response.status_code == 404
        assert response.json()["code"] == "hold_not_found"
        assert (await shelter.category(other_id, "family"))["held"] == 1

    async def test_staff_of_another_operator_are_refused(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2}, organization_id="org-owner")
        hold = await _hold(shelter, shelter_id)

        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold.id}/confirm",
            headers=shelter.auth("shelter_staff", "org-other"),
        )

        assert response.status_code == 403
        assert response.json()["code"] == "not_shelter_operator"
        assert (await shelter.category(shelter_id, "family"))["held"] == 1

    @pytest.mark.parametrize(
        ("role", "token"),
        [
            ("social_worker", {"region": REGION, "districts": [DISTRICT]}),
            ("partner", {"organization_id": OPERATOR}),
        ],
    )
    async def test_other_roles_are_refused(self, shelter, held, role, token):
        shelter_id, _ = held
        [hold] = await shelter.holds(shelter_id)
        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold['id']}/confirm",
            headers=shelter.auth(role, **token),
        )
        assert response.status_code == 403
        assert (await shelter.holds(shelter_id))[0]["status"] == "held"
