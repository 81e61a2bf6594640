"""Sex eligibility end to end in the service: flagged event → handler → routing decision."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kamkor_common.reference.partners import MOTHERS_HOME

# No other test routes a family in this district: the service added here changes nothing else.
REGION, DISTRICT = "KG-Y", "KG-Y-02"


@pytest.fixture(scope="module")
async def women_only(referral: Any) -> dict[str, Any]:
    """Psychological support for women of the district, added as an admin would."""
    org = await referral.client.post(
        "/api/v1/partners",
        json={"name": "Women's counselling, Jeti-Oguz", "type": "ngo", "languages": ["ky"]},
        headers=referral.token(),
    )
    assert org.status_code == 201, org.text
    service = await referral.client.post(
        f"/api/v1/partners/{org.json()['id']}/services",
        json={
            "service_type": "psychological_support",
            "name": "Counselling for women",
            "sex_eligibility": "female",
            "areas": [{"kind": "district", "code": DISTRICT}],
        },
        headers=referral.token(),
    )
    assert service.status_code == 201, service.text
    body: dict[str, Any] = service.json()
    return body


async def routed(referral: Any, **flag: Any) -> dict[str, Any]:
    household_id = str(uuid.uuid4())
    await referral.flag(
        household_id, ("psychosocial", "high"), region=REGION, district=DISTRICT, **flag
    )
    found = await referral.wait_for_referrals(
        household_id,
        lambda f: f.get("psychological_support", {}).get("status") == "requested",
    )
    result: dict[str, Any] = found["psychological_support"]
    return result


class TestSexEligibilityThroughTheHandler:
    async def test_a_household_with_a_woman_goes_to_the_women_only_service(
        self, referral: Any, women_only: dict[str, Any]
    ) -> None:
        found = await routed(referral, member_sexes=["female", "male", "male"])
        assert found["partner"]["service_id"] == women_only["id"]

    async def test_a_household_of_men_and_boys_is_routed_past_it_with_the_reason(
        self, referral: Any, women_only: dict[str, Any]
    ) -> None:
        found = await routed(referral, member_sexes=["male", "male"])
        assert found["partner"]["organization_id"] == MOTHERS_HOME  # the country-wide one
        assert (
            "skipped Women's counselling, Jeti-Oguz: serves female clients only, "
            "and no member of the household is"
        ) in found["reasons"]

    async def test_an_event_from_before_the_field_still_routes(
        self, referral: Any, women_only: dict[str, Any]
    ) -> None:
        found = await routed(referral)  # no member_sexes: the sexes are unknown
        assert found["partner"]["service_id"] == women_only["id"]
