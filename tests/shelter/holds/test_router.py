"""Who may see a shelter's holds."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_shelter.holds import service as holds_service

OPERATOR = "org-operator-holds"


@pytest.fixture(scope="module")
async def held(shelter) -> tuple[str, str]:
    """A shelter of OPERATOR with one held bed: (shelter id, referral id)."""
    shelter_id = await shelter.create_shelter({"family": 2}, organization_id=OPERATOR)
    referral_id = str(uuid.uuid4())
    async with shelter.database.sessionmaker() as session, session.begin():
        await holds_service.request_hold(
            session=session,
            request=BedHoldRequested(
                referral_id=referral_id,
                household_id=str(uuid.uuid4()),
                shelter_id=shelter_id,
                category="family",
            ),
            ttl=timedelta(hours=24),
        )
    return shelter_id, referral_id


class TestListHolds:
    @pytest.mark.parametrize(
        ("role", "organization_id"),
        [
            ("social_worker", None),
            ("supervisor", None),
            ("admin", None),
            ("auditor", None),
            ("shelter_staff", OPERATOR),
            ("partner", OPERATOR),
        ],
    )
    async def test_readers_see_the_holds(self, shelter, held, role, organization_id):
        shelter_id, referral_id = held
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}/holds", headers=shelter.auth(role, organization_id)
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
