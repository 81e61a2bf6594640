"""The HTTP API of shelters: reading availability and staff updates of bed counts."""

from __future__ import annotations

import uuid
from datetime import timedelta

from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED
from kamkor_common.reference.partners import MOTHERS_HOME, SHELTER_OPERATOR, SHELTERS
from kamkor_shelter.holds import service as holds_service

OSH = SHELTERS[1]


class TestListShelters:
    async def test_filters_by_operator_and_pages(self, shelter):
        response = await shelter.client.get(
            "/api/v1/shelters",
            params={"organization_id": SHELTER_OPERATOR, "limit": 2},
            headers=shelter.auth("social_worker"),
        )
        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 3
        assert (body["limit"], body["offset"]) == (2, 0)
        assert len(body["items"]) == 2
        assert {item["organization_id"] for item in body["items"]} == {SHELTER_OPERATOR}
        assert all(item["categories"] for item in body["items"])

        rest = await shelter.client.get(
            "/api/v1/shelters",
            params={"organization_id": SHELTER_OPERATOR, "limit": 2, "offset": 2},
            headers=shelter.auth("social_worker"),
        )
        seen = {item["id"] for item in body["items"] + rest.json()["items"]}
        assert seen == {s.id for s in SHELTERS if s.organization_id == SHELTER_OPERATOR}

    async def test_filters_by_region(self, shelter):
        response = await shelter.client.get(
            "/api/v1/shelters",
            params={"organization_id": SHELTER_OPERATOR, "region": "KG-GO"},
            headers=shelter.auth("partner", MOTHERS_HOME),
        )
        assert [item["id"] for item in response.json()["items"]] == [OSH.id]

    async def test_needs_a_token(self, shelter):
        response = await shelter.client.get("/api/v1/shelters")
        assert response.status_code == 401


class TestGetShelter:
    async def test_shows_held_and_available_beds(self, shelter):
        shelter_id = await shelter.create_shelter({"woman": 4, "child": 2})
        async with shelter.database.sessionmaker() as session, session.begin():
            await holds_service.request_hold(
                session=session,
                request=BedHoldRequested(
                    referral_id=str(uuid.uuid4()),
                    household_id="h-1",
                    shelter_id=shelter_id,
                    category="woman",
                    beds=2,
                ),
                ttl=timedelta(hours=24),
            )
        response = await shelter.client.get(
            f"/api/v1/shelters/{shelter_id}", headers=shelter.auth("auditor")
        )
        assert response.status_code == 200
        assert response.json()["categories"] == [
            {
                "category": "woman",
                "total": 4,
                "out_of_service": 0,
                "occupied": 0,
                "held": 2,
                "available": 2,
            },
            {
                "category": "child",
                "total": 2,
                "out_of_service": 0,
                "occupied": 0,
                "held": 0,
                "available": 2,
            },
        ]

    async def test_unknown_shelter_is_404(self, shelter):
        response = await shelter.client.get(
            "/api/v1/shelters/no-such-shelter", headers=shelter.auth("admin")
        )
        assert response.status_code == 404
        assert response.json()["code"] == "shelter_not_found"


class TestUpdateCategory:
    async def test_operator_staff_update_counts_and_a_snapshot_follows(
        self, shelter, capacity_events
    ):
        operator = "org-" + "a" * 10
        shelter_id = await shelter.create_shelter({"family": 6}, organization_id=operator)
        staff = shelter.auth("shelter_staff", operator)
        arrived = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays",
            json={"category": "family", "beds": 2},
            headers=staff,
        )
        assert arrived.status_code == 201, arrived.text
        response = await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/family",
            json={"out_of_service": 1},
            headers=staff,
        )
        assert response.status_code == 200
        assert response.json() == {
            "category": "family",
            "total": 6,
            "out_of_service": 1,
            "occupied": 2,
            "held": 0,
            "available": 3,
        }
        assert response.headers["etag"] == '"2"'
        assert (await shelter.category(shelter_id, "family"))["available"] == 3
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED,
            lambda e: (
                e.partitionkey == shelter_id and e.data["categories"][0]["out_of_service"] == 1
            ),
        )
        assert snapshot.data["categories"][0]["available"] == 3
        assert snapshot.data["stale"] is False
        assert snapshot.data["updated_at"] is not None

    async def test_admin_may_open_a_new_category(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        response = await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/mother_child",
            json={"total": 3},
            headers=shelter.auth("admin"),
        )
        assert response.status_code == 200
        assert (await shelter.category(shelter_id, "mother_child"))["available"] == 3

    async def test_staff_of_another_operator_are_refused(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2}, organization_id="org-owner")
        response = await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/family",
            json={"out_of_service": 1},
            headers=shelter.auth("shelter_staff", "org-other"),
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_shelter_operator"
        assert (await shelter.category(shelter_id, "family"))["out_of_service"] == 0

    async def test_other_roles_are_refused(self, shelter):
        response = await shelter.client.put(
            f"/api/v1/shelters/{OSH.id}/categories/family",
            json={"out_of_service": 1},
            headers=shelter.auth("social_worker"),
        )
        assert response.status_code == 403

    async def test_a_change_below_the_held_beds_is_a_conflict(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2}, organization_id="org-c")
        async with shelter.database.sessionmaker() as session, session.begin():
            await holds_service.request_hold(
                session=session,
                request=BedHoldRequested(
                    referral_id=str(uuid.uuid4()),
                    household_id="h-1",
                    shelter_id=shelter_id,
                    category="family",
                ),
                ttl=timedelta(hours=24),
            )
        response = await shelter.client.put(
            f"/api/v1/shelters/{shelter_id}/categories/family",
            json={"out_of_service": 2},
            headers=shelter.auth("shelter_staff", "org-c"),
        )
        assert response.status_code == 409
        assert response.json()["code"] == "capacity_conflict"
        family = await shelter.category(shelter_id, "family")
        assert (family["out_of_service"], family["held"], family["available"]) == (0, 1, 1)

    async def test_negative_counts_and_unknown_categories_are_422(self, shelter):
        url = f"/api/v1/shelters/{OSH.id}/categories"
        negative = await shelter.client.put(
            f"{url}/family", json={"total": -1}, headers=shelter.auth("admin")
        )
        unknown = await shelter.client.put(
            f"{url}/penthouse", json={"total": 1}, headers=shelter.auth("admin")
        )
        assert (negative.status_code, unknown.status_code) == (422, 422)

    async def test_a_count_set_to_null_is_422_and_changes_nothing(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        for field in ("total", "out_of_service"):
            response = await shelter.client.put(
                f"/api/v1/shelters/{shelter_id}/categories/family",
                json={field: None},
                headers=shelter.auth("admin"),
            )
            assert response.status_code == 422, field
        family = await shelter.category(shelter_id, "family")
        assert (family["total"], family["out_of_service"], family["occupied"]) == (2, 0, 0)
