"""Free beds by region: counts for every role, nothing that locates a hidden shelter."""

from __future__ import annotations

import uuid

from kamkor_common.reference.partners import SHELTERS

URL = "/api/v1/shelters/availability"
# A region of the test's own, so that the other tests' shelters do not change its sums.
REGION, DISTRICT = "KG-T", "KG-T-01"


async def _create(shelter, *, confidential: bool, beds: dict, name: str) -> str:
    response = await shelter.client.post(
        "/api/v1/shelters",
        json={
            "organization_id": f"org-{uuid.uuid4().hex[:8]}",
            "name": name,
            "region": REGION,
            "district": DISTRICT,
            "confidential_address": confidential,
            "address": "Hidden lane 7",
            "beds": beds,
        },
        headers=shelter.auth("admin"),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


class TestAvailability:
    async def test_sums_every_shelter_and_lists_only_public_ones(self, shelter):
        public = await _create(
            shelter, confidential=False, beds={"family": 3, "woman": 1}, name="Open house"
        )
        hidden = await _create(
            shelter,
            confidential=True,
            beds={"family": {"total": 4, "out_of_service": 1}, "mother_child": 2},
            name="Safe house",
        )
        await shelter.client.post(
            f"/api/v1/shelters/{hidden}/stays",
            json={"category": "family"},
            headers=shelter.auth("admin"),
        )

        response = await shelter.client.get(
            URL, params={"region": REGION}, headers=shelter.auth("partner", "org-any")
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert body["region"] == REGION
        assert {c["category"]: (c["total"], c["available"]) for c in body["categories"]} == {
            "mother_child": (2, 2),
            "woman": (1, 1),
            "child": (0, 0),
            "family": (7, 5),
        }
        assert [s["shelter_id"] for s in body["shelters"]] == [public]
        assert body["stale_shelters"] == 0
        text = response.text
        assert "Safe house" not in text and hidden not in text and "Hidden lane" not in text

    async def test_any_signed_in_role_may_ask_but_not_anonymously(self, shelter):
        region = SHELTERS[0].region
        for role, extra in (
            ("social_worker", {"region": region, "districts": [SHELTERS[0].district]}),
            ("analyst", {}),
            ("shelter_staff", {"organization_id": "org-x"}),
        ):
            response = await shelter.client.get(
                URL, params={"region": region}, headers=shelter.auth(role, **extra)
            )
            assert response.status_code == 200, role
            assert sum(c["total"] for c in response.json()["categories"]) > 0
        anonymous = await shelter.client.get(URL, params={"region": region})
        assert anonymous.status_code == 401

    async def test_an_unknown_or_missing_region_is_422(self, shelter):
        for params in ({"region": "KG-ZZ"}, {}):
            response = await shelter.client.get(URL, params=params, headers=shelter.auth("admin"))
            assert response.status_code == 422, params
