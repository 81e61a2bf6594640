"""The staff API: referrals with partner, attempts and reasons, within the reader's places."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


@pytest.fixture(scope="session")
async def naryn_family(referral: Any) -> dict[str, Any]:
    """A Naryn household with a routine legal-aid referral and a social-benefits one."""
    household_id = str(uuid.uuid4())
    await referral.flag(
        household_id,
        ("housing", "medium"),
        ("financial", "medium"),
        region="KG-N",
        district="KG-N-02",
        language="ru",
    )
    return await referral.wait_for_referrals(
        household_id,
        lambda f: (
            f.get("legal_aid", {}).get("status") == "requested"
            and f.get("social_benefits", {}).get("status") == "requested"
        ),
    )


class TestListReferrals:
    async def test_a_referral_shows_partner_attempts_and_reasons(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        legal = naryn_family["legal_aid"]
        assert {
            "id",
            "household_id",
            "service_type",
            "priority",
            "status",
            "partner",
            "shelter_id",
            "hold_status",
            "attempts",
            "reasons",
            "created_at",
            "updated_at",
        } <= set(legal)
        assert legal["priority"] == "routine"
        assert legal["partner"]["name"] == "Legal aid for families"
        assert legal["partner"]["service_id"] == legal["attempts"][0]["service_id"]
        assert set(legal["attempts"][0]) >= {
            "number",
            "organization_id",
            "service_id",
            "shelter_id",
            "outcome",
            "reason",
            "created_at",
        }
        assert legal["reasons"][0].startswith("needs legal_aid: housing medium")
        assert "service legal_aid of Legal aid for families covers KG (country)" in legal["reasons"]
        benefits = naryn_family["social_benefits"]
        assert benefits["partner"]["name"] == "Social benefits office, Naryn Region"

    async def test_filters_by_status_and_service_type(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        household_id = naryn_family["legal_aid"]["household_id"]
        response = await referral.client.get(
            "/api/v1/referrals",
            params={
                "household_id": household_id,
                "service_type": "legal_aid",
                "status": "requested",
            },
            headers=referral.token("auditor"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 1 and body["items"][0]["service_type"] == "legal_aid"
        none = await referral.client.get(
            "/api/v1/referrals",
            params={"household_id": household_id, "status": "completed"},
            headers=referral.token(),
        )
        assert none.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}

    async def test_supervisors_see_their_region(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        params = {"household_id": naryn_family["legal_aid"]["household_id"]}
        for region, visible in (("KG-N", 3), ("KG-O", 0)):
            response = await referral.client.get(
                "/api/v1/referrals",
                params=params,
                headers=referral.token("supervisor", region=region),
            )
            assert response.status_code == 200, response.text
            assert response.json()["total"] == visible, region

    async def test_social_workers_see_their_districts(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        params = {"household_id": naryn_family["legal_aid"]["household_id"]}
        for region, districts, visible in (
            ("KG-N", ["KG-N-02"], 3),
            ("KG-N", ["KG-N-01", "KG-N-02"], 3),
            # The family's region, but another district of it.
            ("KG-N", ["KG-N-01"], 0),
            ("KG-O", ["KG-O-02"], 0),
        ):
            response = await referral.client.get(
                "/api/v1/referrals",
                params=params,
                headers=referral.token("social_worker", region=region, districts=districts),
            )
            assert response.status_code == 200, response.text
            assert response.json()["total"] == visible, districts

    async def test_a_token_that_does_not_say_where_is_refused(self, referral: Any) -> None:
        for role, claims in (
            ("supervisor", {}),
            ("social_worker", {"region": "KG-N"}),
            ("social_worker", {"districts": ["KG-N-02"]}),
        ):
            response = await referral.client.get(
                "/api/v1/referrals", headers=referral.token(role, **claims)
            )
            assert response.status_code == 403, (role, claims)
            assert response.json()["code"] == "scope_missing"

    async def test_other_roles_are_forbidden(self, referral: Any) -> None:
        for role in ("partner", "shelter_staff", "analyst"):
            response = await referral.client.get(
                "/api/v1/referrals", headers=referral.token(role, organization_id="x")
            )
            assert response.status_code == 403, role


class TestGetReferral:
    async def test_one_referral(self, referral: Any, naryn_family: dict[str, Any]) -> None:
        legal = naryn_family["legal_aid"]
        response = await referral.client.get(
            f"/api/v1/referrals/{legal['id']}", headers=referral.token("supervisor", region="KG-N")
        )
        assert response.status_code == 200, response.text
        assert response.json()["id"] == legal["id"]
        assert response.json()["attempts"] == legal["attempts"]

    async def test_outside_the_region_it_is_not_found(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        legal = naryn_family["legal_aid"]
        response = await referral.client.get(
            f"/api/v1/referrals/{legal['id']}",
            headers=referral.token("social_worker", region="KG-J", districts=["KG-J-06"]),
        )
        assert response.status_code == 404
        assert response.json()["code"] == "referral_not_found"

    async def test_outside_a_social_workers_districts_it_is_not_found(
        self, referral: Any, naryn_family: dict[str, Any]
    ) -> None:
        url = f"/api/v1/referrals/{naryn_family['legal_aid']['id']}"
        elsewhere = await referral.client.get(
            url, headers=referral.token("social_worker", region="KG-N", districts=["KG-N-01"])
        )
        assert elsewhere.status_code == 404
        assert elsewhere.json()["code"] == "referral_not_found"
        own = await referral.client.get(
            url, headers=referral.token("social_worker", region="KG-N", districts=["KG-N-02"])
        )
        assert own.status_code == 200, own.text

    async def test_an_unknown_referral_is_not_found(self, referral: Any) -> None:
        response = await referral.client.get(
            f"/api/v1/referrals/{uuid.uuid4()}", headers=referral.token("auditor")
        )
        assert response.status_code == 404
