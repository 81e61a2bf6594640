"""The partner directory API: organisations with their services and service areas."""

from __future__ import annotations

from typing import Any

from kamkor_common.reference.partners import LEGAL_AID, ORGANIZATIONS, SHELTER_OPERATOR


class TestGetPartner:
    async def test_an_organisation_with_services_and_areas(self, referral: Any) -> None:
        response = await referral.client.get(
            f"/api/v1/partners/{SHELTER_OPERATOR}", headers=referral.token("partner")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == SHELTER_OPERATOR
        assert body["type"] == "shelter_operator"
        [service] = body["services"]
        assert service["service_type"] == "temporary_shelter"
        assert service["status"] == "active" and service["accepts_referrals"] is True
        assert service["areas"] == [{"kind": "country", "code": "KG"}]

    async def test_an_unknown_organisation_is_404(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners/00000000-0000-4000-8000-000000000000", headers=referral.token()
        )
        assert response.status_code == 404
        assert response.json()["code"] == "partner_not_found"

    async def test_a_token_is_required(self, referral: Any) -> None:
        response = await referral.client.get(f"/api/v1/partners/{LEGAL_AID}")
        assert response.status_code == 401


class TestListPartners:
    async def test_by_service_type_and_region(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners",
            params={"service_type": "social_benefits", "region": "KG-J"},
            headers=referral.token("analyst"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 1
        [office] = body["items"]
        assert office["name"] == "Social benefits office, Jalal-Abad Region"
        benefits = [s for s in office["services"] if s["service_type"] == "social_benefits"]
        assert benefits[0]["areas"] == [{"kind": "region", "code": "KG-J"}]

    async def test_country_wide_partners_reach_every_region(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners",
            params={"service_type": "legal_aid", "region": "KG-N"},
            headers=referral.token(),
        )
        assert [o["id"] for o in response.json()["items"]] == [LEGAL_AID]

    async def test_pages(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners", params={"limit": 2, "offset": 1}, headers=referral.token()
        )
        body = response.json()
        assert body["limit"] == 2 and body["offset"] == 1
        assert len(body["items"]) == 2
        assert body["total"] >= len(ORGANIZATIONS)

    async def test_an_unknown_region_or_type_is_422(self, referral: Any) -> None:
        unknown_region = await referral.client.get(
            "/api/v1/partners", params={"region": "KG-X"}, headers=referral.token()
        )
        assert unknown_region.status_code == 422
        assert unknown_region.json()["errors"][0]["field"] == "region"
        unknown_type = await referral.client.get(
            "/api/v1/partners", params={"service_type": "magic"}, headers=referral.token()
        )
        assert unknown_type.status_code == 422
