"""Stays over HTTP: walk-in arrivals, departures that free beds, and who may record them."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from kamkor_common.events.schemas.referral import BedHoldRequested
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED
from kamkor_shelter.holds import service as holds_service


def _org() -> str:
    return f"org-{uuid.uuid4().hex[:10]}"


async def _hold(shelter, shelter_id: str, *, beds: int = 1) -> str:
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
            ttl=timedelta(hours=24),
        )
    assert outcome.hold is not None
    return outcome.hold.id


class TestDeparture:
    async def test_a_departure_after_a_confirmed_hold_frees_the_beds(
        self, shelter, capacity_events
    ):
        operator = _org()
        staff = shelter.auth("shelter_staff", operator)
        shelter_id = await shelter.create_shelter({"family": 3}, organization_id=operator)
        hold_id = await _hold(shelter, shelter_id, beds=2)
        confirmed = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/holds/{hold_id}/confirm", headers=staff
        )
        stay_id = confirmed.json()["stay_id"]
        assert stay_id is not None
        assert (await shelter.category(shelter_id, "family"))["available"] == 1

        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays/{stay_id}/departure", headers=staff
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["hold_id"], body["beds"]) == ("departed", hold_id, 2)
        assert body["departed_at"] is not None
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (0, 0, 3)
        await capacity_events.wait_for(
            CAPACITY_CHANGED,
            lambda e: e.partitionkey == shelter_id and e.data["categories"][0]["available"] == 3,
        )

    async def test_recording_a_departure_twice_frees_nothing_more(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 4})
        admin = shelter.auth("admin")
        one = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays", json={"category": "family"}, headers=admin
        )
        two = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays", json={"category": "family"}, headers=admin
        )
        url = f"/api/v1/shelters/{shelter_id}/stays/{one.json()['id']}/departure"

        first = await shelter.client.post(url, headers=admin)
        again = await shelter.client.post(url, headers=admin)

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json()["departed_at"] == first.json()["departed_at"]
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["available"]) == (1, 3)
        assert two.status_code == 201

    async def test_a_stay_of_another_shelter_is_404(self, shelter):
        admin = shelter.auth("admin")
        here = await shelter.create_shelter({"family": 1})
        there = await shelter.create_shelter({"family": 1})
        stay = await shelter.client.post(
            f"/api/v1/shelters/{there}/stays", json={"category": "family"}, headers=admin
        )
        response = await shelter.client.post(
            f"/api/v1/shelters/{here}/stays/{stay.json()['id']}/departure", headers=admin
        )
        assert (response.status_code, response.json()["code"]) == (404, "stay_not_found")

    async def test_staff_of_another_operator_may_not_record_departures(self, shelter):
        operator = _org()
        shelter_id = await shelter.create_shelter({"family": 1}, organization_id=operator)
        stay = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays",
            json={"category": "family"},
            headers=shelter.auth("shelter_staff", operator),
        )
        response = await shelter.client.post(
            f"/api/v1/shelters/{shelter_id}/stays/{stay.json()['id']}/departure",
            headers=shelter.auth("shelter_staff", _org()),
        )
        assert response.status_code == 403
        assert (await shelter.category(shelter_id, "family"))["occupied"] == 1


class TestArrival:
    async def test_a_walk_in_never_takes_a_held_bed(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 2})
        await _hold(shelter, shelter_id)
        admin = shelter.auth("admin")
        url = f"/api/v1/shelters/{shelter_id}/stays"

        fits = await shelter.client.post(url, json={"category": "family"}, headers=admin)
        full = await shelter.client.post(url, json={"category": "family"}, headers=admin)
        absent = await shelter.client.post(url, json={"category": "child"}, headers=admin)

        assert fits.status_code == 201
        assert (full.status_code, full.json()["code"]) == (409, "no_free_beds")
        assert absent.status_code == 409
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["held"], family["available"]) == (1, 1, 0)

    async def test_fifty_concurrent_walk_ins_on_five_free_beds_get_exactly_five(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 5})
        admin = shelter.auth("admin")

        responses = await asyncio.gather(
            *(
                shelter.client.post(
                    f"/api/v1/shelters/{shelter_id}/stays",
                    json={"category": "family"},
                    headers=admin,
                )
                for _ in range(50)
            )
        )

        codes = sorted(r.status_code for r in responses)
        assert codes == [201] * 5 + [409] * 45
        family = await shelter.category(shelter_id, "family")
        assert (family["occupied"], family["available"]) == (5, 0)

    async def test_bad_arrivals_are_422(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 5})
        for body in ({"category": "dormitory"}, {"category": "family", "beds": 0}, {}):
            response = await shelter.client.post(
                f"/api/v1/shelters/{shelter_id}/stays", json=body, headers=shelter.auth("admin")
            )
            assert response.status_code == 422, body


class TestListStays:
    async def test_operator_staff_list_present_stays_others_may_not(self, shelter):
        operator = _org()
        staff = shelter.auth("shelter_staff", operator)
        shelter_id = await shelter.create_shelter({"family": 3}, organization_id=operator)
        url = f"/api/v1/shelters/{shelter_id}/stays"
        first = await shelter.client.post(url, json={"category": "family"}, headers=staff)
        await shelter.client.post(url, json={"category": "family", "beds": 2}, headers=staff)
        await shelter.client.post(f"{url}/{first.json()['id']}/departure", headers=staff)

        present = await shelter.client.get(url, params={"status": "present"}, headers=staff)
        everything = await shelter.client.get(url, headers=shelter.auth("auditor"))
        partner = await shelter.client.get(url, headers=shelter.auth("partner", operator))
        other = await shelter.client.get(url, headers=shelter.auth("shelter_staff", _org()))

        assert [s["beds"] for s in present.json()["items"]] == [2]
        assert everything.json()["total"] == 2
        assert (partner.status_code, other.status_code) == (403, 403)
