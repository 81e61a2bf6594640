"""Registering and editing shelters over HTTP: who may, what is checked, If-Match."""

from __future__ import annotations

import uuid

from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED

URL = "/api/v1/shelters"


def _new(organization_id: str, **overrides: object) -> dict[str, object]:
    return {
        "organization_id": organization_id,
        "name": f"Crisis shelter {uuid.uuid4().hex[:6]}",
        "region": "KG-J",
        "district": "KG-J-06",
        "confidential_address": True,
        "address": "Toktogul st. 3",
        "beds": {"mother_child": {"total": 4, "out_of_service": 1}, "woman": 2},
    } | overrides


def _org() -> str:
    return f"org-{uuid.uuid4().hex[:10]}"


class TestCreateShelter:
    async def test_operator_staff_register_a_shelter_and_its_first_snapshot_follows(
        self, shelter, capacity_events
    ):
        operator = _org()
        response = await shelter.client.post(
            URL, json=_new(operator), headers=shelter.auth("shelter_staff", operator)
        )

        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{body['id']}"
        assert (body["organization_id"], body["address"], body["stale"]) == (
            operator,
            "Toktogul st. 3",
            False,
        )
        assert [(c["category"], c["total"], c["available"]) for c in body["categories"]] == [
            ("mother_child", 4, 3),
            ("woman", 2, 2),
        ]
        [snapshot] = await capacity_events.wait_for(
            CAPACITY_CHANGED, lambda e: e.partitionkey == body["id"]
        )
        assert [c["available"] for c in snapshot.data["categories"]] == [3, 2]
        # Events carry no addresses (DESIGN §3).
        assert "Toktogul" not in snapshot.model_dump_json()

    async def test_staff_may_not_register_for_another_organisation(self, shelter):
        response = await shelter.client.post(
            URL, json=_new(_org()), headers=shelter.auth("shelter_staff", _org())
        )
        assert response.status_code == 403
        assert response.json()["code"] == "not_shelter_operator"

    async def test_staff_without_an_organisation_and_other_roles_are_refused(self, shelter):
        for headers in (shelter.auth("shelter_staff"), shelter.auth("partner", _org())):
            response = await shelter.client.post(URL, json=_new(_org()), headers=headers)
            assert response.status_code == 403

    async def test_admins_register_for_any_organisation(self, shelter):
        response = await shelter.client.post(URL, json=_new(_org()), headers=shelter.auth("admin"))
        assert response.status_code == 201

    async def test_an_id_taken_is_a_conflict(self, shelter):
        shelter_id = await shelter.create_shelter({"family": 1})
        response = await shelter.client.post(
            URL, json=_new(_org(), id=shelter_id), headers=shelter.auth("admin")
        )
        assert response.status_code == 409
        assert response.json()["code"] == "shelter_exists"

    async def test_invalid_shelters_are_422_and_nothing_is_stored(self, shelter):
        operator = _org()
        invalid = [
            {"beds": {"dormitory": 2}},
            {"beds": {"family": {"total": 2, "out_of_service": 3}}},
            {"beds": {"family": 10_001}},
            {"beds": {"family": -1}},
            {"district": "KG-C-01"},
            {"name": ""},
        ]
        for overrides in invalid:
            response = await shelter.client.post(
                URL, json=_new(operator, **overrides), headers=shelter.auth("admin")
            )
            assert response.status_code == 422, overrides
        listed = await shelter.client.get(
            URL, params={"organization_id": operator}, headers=shelter.auth("admin")
        )
        assert listed.json()["total"] == 0


class TestConfidentialAddress:
    async def test_only_the_operator_and_admins_see_a_confidential_address(self, shelter):
        operator = _org()
        created = await shelter.client.post(URL, json=_new(operator), headers=shelter.auth("admin"))
        url = f"{URL}/{created.json()['id']}"

        seen = {}
        for name, headers in {
            "operator": shelter.auth("shelter_staff", operator),
            "admin": shelter.auth("admin"),
            "other staff": shelter.auth("shelter_staff", _org()),
            "partner": shelter.auth("partner", operator),
            "social worker": shelter.auth("social_worker", region="KG-J", districts=["KG-J-06"]),
        }.items():
            seen[name] = (await shelter.client.get(url, headers=headers)).json()["address"]

        assert seen == {
            "operator": "Toktogul st. 3",
            "admin": "Toktogul st. 3",
            "other staff": None,
            "partner": None,
            "social worker": None,
        }

    async def test_a_public_address_is_shown_to_every_reader(self, shelter):
        created = await shelter.client.post(
            URL, json=_new(_org(), confidential_address=False), headers=shelter.auth("admin")
        )
        response = await shelter.client.get(
            f"{URL}/{created.json()['id']}", headers=shelter.auth("auditor")
        )
        assert response.json()["address"] == "Toktogul st. 3"


class TestUpdateShelter:
    async def _created(self, shelter, operator: str) -> str:
        response = await shelter.client.post(
            URL, json=_new(operator), headers=shelter.auth("shelter_staff", operator)
        )
        return response.json()["id"]

    async def test_an_edit_at_the_version_read_applies_and_bumps_the_etag(
        self, shelter, capacity_events
    ):
        operator = _org()
        shelter_id = await self._created(shelter, operator)
        staff = shelter.auth("shelter_staff", operator)
        read = await shelter.client.get(f"{URL}/{shelter_id}", headers=staff)

        response = await shelter.client.patch(
            f"{URL}/{shelter_id}",
            json={"name": "Renamed", "beds": {"mother_child": {"total": 6}, "family": 2}},
            headers=staff | {"If-Match": read.headers["etag"]},
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert response.headers["etag"] == '"2"' and body["version"] == 2
        assert body["name"] == "Renamed"
        # Out of service kept where left out; a new category opened.
        assert [(c["category"], c["total"], c["out_of_service"]) for c in body["categories"]] == [
            ("mother_child", 6, 1),
            ("woman", 2, 0),
            ("family", 2, 0),
        ]
        await capacity_events.wait_for(
            CAPACITY_CHANGED,
            lambda e: e.partitionkey == shelter_id and len(e.data["categories"]) == 3,
        )

    async def test_a_stale_etag_is_412_and_a_missing_one_428(self, shelter):
        operator = _org()
        shelter_id = await self._created(shelter, operator)
        staff = shelter.auth("shelter_staff", operator)
        first = await shelter.client.patch(
            f"{URL}/{shelter_id}", json={"name": "First"}, headers=staff | {"If-Match": '"1"'}
        )
        assert first.status_code == 200

        stale = await shelter.client.patch(
            f"{URL}/{shelter_id}", json={"name": "Second"}, headers=staff | {"If-Match": '"1"'}
        )
        missing = await shelter.client.patch(
            f"{URL}/{shelter_id}", json={"name": "Third"}, headers=staff
        )

        assert (stale.status_code, stale.json()["code"]) == (412, "version_mismatch")
        assert (missing.status_code, missing.json()["code"]) == (428, "if_match_required")
        current = await shelter.client.get(f"{URL}/{shelter_id}", headers=staff)
        assert (current.json()["name"], current.headers["etag"]) == ("First", '"2"')

    async def test_a_stale_etag_on_a_count_update_is_412(self, shelter):
        operator = _org()
        shelter_id = await self._created(shelter, operator)
        response = await shelter.client.put(
            f"{URL}/{shelter_id}/categories/woman",
            json={"total": 9},
            headers=shelter.auth("shelter_staff", operator) | {"If-Match": '"7"'},
        )
        assert response.status_code == 412
        assert (await shelter.category(shelter_id, "woman"))["total"] == 2

    async def test_invalid_edits_are_refused_and_change_nothing(self, shelter):
        operator = _org()
        shelter_id = await self._created(shelter, operator)
        staff = shelter.auth("shelter_staff", operator)
        cases = {
            # Out of service kept at 1, above the new total.
            (422, "invalid_counts"): {"beds": {"mother_child": {"total": 0}}},
            (422, "invalid_location"): {"district": "KG-C-01"},
            (422, "validation_error"): {"beds": {"penthouse": 1}},
            (403, "not_shelter_operator"): {"organization_id": _org()},
        }
        for (status, code), change in cases.items():
            response = await shelter.client.patch(
                f"{URL}/{shelter_id}", json=change, headers=staff | {"If-Match": '"1"'}
            )
            assert (response.status_code, response.json()["code"]) == (status, code), change
        current = await shelter.client.get(f"{URL}/{shelter_id}", headers=staff)
        assert (current.headers["etag"], current.json()["district"]) == ('"1"', "KG-J-06")

    async def test_fewer_beds_than_are_taken_is_a_conflict(self, shelter):
        operator = _org()
        shelter_id = await self._created(shelter, operator)
        staff = shelter.auth("shelter_staff", operator)
        arrived = await shelter.client.post(
            f"{URL}/{shelter_id}/stays", json={"category": "woman", "beds": 2}, headers=staff
        )
        assert arrived.status_code == 201
        response = await shelter.client.patch(
            f"{URL}/{shelter_id}",
            json={"beds": {"woman": 1}},
            headers=staff | {"If-Match": '"1"'},
        )
        assert (response.status_code, response.json()["code"]) == (409, "capacity_conflict")

    async def test_an_admin_hands_a_shelter_to_another_operator(self, shelter):
        shelter_id = await self._created(shelter, _org())
        successor = _org()
        response = await shelter.client.patch(
            f"{URL}/{shelter_id}",
            json={"organization_id": successor},
            headers=shelter.auth("admin") | {"If-Match": '"1"'},
        )
        assert response.json()["organization_id"] == successor

    async def test_staff_of_another_operator_are_refused(self, shelter):
        shelter_id = await self._created(shelter, _org())
        response = await shelter.client.patch(
            f"{URL}/{shelter_id}",
            json={"name": "Taken"},
            headers=shelter.auth("shelter_staff", _org()) | {"If-Match": '"1"'},
        )
        assert response.status_code == 403
