"""The partner API: a partner sees and answers only the referrals addressed to it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.schemas import shelter
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.reference.partners import SHELTER_OPERATOR
from tests.referral.talas import (
    DISTRICT_ORG,
    REGION_ORG,
    home_care_referral,
    mentions,
    partner,
)


class TestPartnerReading:
    async def test_a_partner_sees_its_referral_as_a_summary(self, talas: Any) -> None:
        staff_view = await home_care_referral(talas)
        assert staff_view["partner"]["organization_id"] == DISTRICT_ORG

        listed = await talas.client.get(
            "/partner/v1/referrals",
            params={"status": "requested"},
            headers=partner(talas, DISTRICT_ORG),
        )
        assert listed.status_code == 200, listed.text
        assert staff_view["id"] in {r["id"] for r in listed.json()["items"]}

        response = await talas.client.get(
            f"/partner/v1/referrals/{staff_view['id']}", headers=partner(talas, DISTRICT_ORG)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {
            "id",
            "service_type",
            "priority",
            "status",
            "region",
            "district",
            "language",
            "children_ages",
            "shelter_id",
            "created_at",
            "response_due_at",
            "attempt_outcome",
            "changed_at",
        }
        assert body["attempt_outcome"] == "pending" and body["status"] == "requested"
        assert body["priority"] == "urgent" and body["district"] == "KG-T-01"
        routed_at = datetime.fromisoformat(staff_view["attempts"][0]["created_at"])
        assert datetime.fromisoformat(body["response_due_at"]) == routed_at + timedelta(hours=24)

    async def test_another_partners_referral_is_404(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        response = await talas.client.get(
            f"/partner/v1/referrals/{referral['id']}", headers=partner(talas, REGION_ORG)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "referral_not_found"
        listed = await talas.client.get("/partner/v1/referrals", headers=partner(talas, REGION_ORG))
        assert referral["id"] not in {r["id"] for r in listed.json()["items"]}
        accept = await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/accept", headers=partner(talas, REGION_ORG)
        )
        assert accept.status_code == 404

    async def test_other_roles_are_forbidden(self, talas: Any) -> None:
        for role in ("social_worker", "supervisor", "admin", "shelter_staff"):
            response = await talas.client.get("/partner/v1/referrals", headers=talas.token(role))
            assert response.status_code == 403, role
            assert response.json()["code"] == "forbidden"

    async def test_a_partner_token_without_organisation_is_forbidden(self, talas: Any) -> None:
        response = await talas.client.get("/partner/v1/referrals", headers=partner(talas, None))
        assert response.status_code == 403

    async def test_list_and_one_agree_on_the_current_attempt(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/reject",
            json={"reason": "no staff"},
            headers=partner(talas, DISTRICT_ORG),
        )
        staff_view = (await talas.referrals(referral["household_id"]))["home_care_support"]
        second_at = datetime.fromisoformat(staff_view["attempts"][1]["created_at"])

        one = await talas.client.get(
            f"/partner/v1/referrals/{referral['id']}", headers=partner(talas, REGION_ORG)
        )
        listed = await talas.client.get("/partner/v1/referrals", headers=partner(talas, REGION_ORG))
        [in_list] = [r for r in listed.json()["items"] if r["id"] == referral["id"]]
        # The region partner's time runs from when the referral reached it, not from the first.
        assert datetime.fromisoformat(one.json()["response_due_at"]) == second_at + timedelta(
            hours=24
        )
        assert in_list == one.json()


class TestPartnerAnswers:
    async def test_accept(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        url = f"/partner/v1/referrals/{referral['id']}/accept"
        response = await talas.client.post(url, headers=partner(talas, DISTRICT_ORG))
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "accepted"

        again = await talas.client.post(url, headers=partner(talas, DISTRICT_ORG))
        assert again.status_code == 409
        assert again.json()["code"] == "invalid_transition"
        assert again.json()["allowed"] == ["cancelled", "entered_in_error", "in_progress"]

        staff_view = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert staff_view["status"] == "accepted"
        assert staff_view["attempts"][0]["outcome"] == "accepted"
        [accepted] = await talas.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"]
                and e.type == referral_events.REFERRAL_ACCEPTED.type
            ),
        )
        assert accepted.data["organization_id"] == DISTRICT_ORG

    async def test_reject_needs_a_reason(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        url = f"/partner/v1/referrals/{referral['id']}/reject"
        for body in ({}, {"reason": "   "}):
            response = await talas.client.post(url, json=body, headers=partner(talas, DISTRICT_ORG))
            assert response.status_code == 422, body
        staff_view = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert staff_view["status"] == "requested"

    async def test_reject_moves_to_the_next_partner_then_unassigned(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        url = f"/partner/v1/referrals/{referral['id']}/reject"

        first = await talas.client.post(
            url, json={"reason": "no staff this month"}, headers=partner(talas, DISTRICT_ORG)
        )
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "rejected"
        moved = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert moved["status"] == "requested"
        assert moved["partner"]["organization_id"] == REGION_ORG
        assert [(a["number"], a["outcome"]) for a in moved["attempts"]] == [
            (1, "rejected"),
            (2, "pending"),
        ]
        assert moved["attempts"][0]["reason"] == "no staff this month"
        # The partner that declined keeps seeing it, as declined.
        declined = await talas.client.get(
            f"/partner/v1/referrals/{referral['id']}", headers=partner(talas, DISTRICT_ORG)
        )
        assert declined.status_code == 200
        assert declined.json()["status"] == "rejected"
        assert declined.json()["attempt_outcome"] == "rejected"
        again = await talas.client.post(
            url, json={"reason": "twice"}, headers=partner(talas, DISTRICT_ORG)
        )
        assert again.status_code == 404

        second = await talas.client.post(
            url, json={"reason": "outside our capacity"}, headers=partner(talas, REGION_ORG)
        )
        assert second.status_code == 200, second.text
        unassigned = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert unassigned["status"] == "unassigned"
        assert unassigned["partner"] is None
        assert [a["outcome"] for a in unassigned["attempts"]] == ["rejected", "rejected"]

        published = await talas.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey == referral["id"], count=6
        )
        # One key, one partition: the story is published in the order it happened.
        assert [e.type for e in published] == [
            referral_events.REFERRAL_CREATED.type,
            referral_events.REFERRAL_ROUTED.type,
            referral_events.REFERRAL_REJECTED.type,
            referral_events.REFERRAL_ROUTED.type,
            referral_events.REFERRAL_REJECTED.type,
            referral_events.REFERRAL_ESCALATED.type,
        ]
        assert [e.data["reason"] for e in published] == [
            None,
            "new_referral",
            "rejected_by_partner",
            "rejected_by_partner",
            "rejected_by_partner",
            "no_eligible_partner",
        ]
        rejected = [e for e in published if e.type == referral_events.REFERRAL_REJECTED.type]
        assert rejected[0].data["organization_id"] == DISTRICT_ORG
        # The partners' own words stay on the attempts; events carry codes only.
        assert not mentions(published, "no staff this month")
        assert not mentions(published, "outside our capacity")
        assert not any("covers" in (e.data["reason"] or "") for e in published)

    async def test_rejecting_a_shelter_referral_releases_the_bed(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        await referral.flag(household_id, ("housing", "high"))
        found = await referral.wait_for_referrals(
            household_id,
            lambda f: f.get("temporary_shelter", {}).get("hold_status") == "requested",
        )
        shelter_referral = found["temporary_shelter"]
        held_at = shelter_referral["shelter_id"]

        response = await referral.client.post(
            f"/partner/v1/referrals/{shelter_referral['id']}/reject",
            json={"reason": "family placed elsewhere"},
            headers=partner(referral, SHELTER_OPERATOR),
        )
        assert response.status_code == 200, response.text

        after = (await referral.referrals(household_id))["temporary_shelter"]
        # The shelter operator is the only temporary shelter partner: nobody is left.
        assert after["status"] == "unassigned"
        assert after["hold_status"] == "released"
        [release] = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == shelter_referral["id"]
                and e.type == referral_events.BED_HOLD_RELEASE_REQUESTED.type
            ),
        )
        assert release.data["shelter_id"] == held_at
        assert release.data["reason"] == "referral_rejected"
        published = await referral.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey == shelter_referral["id"], count=6
        )
        assert not mentions(published, "family placed elsewhere")
        assert after["attempts"][0]["reason"] == "family placed elsewhere"

    async def test_a_shelter_referral_is_accepted_only_once_its_bed_is_held(
        self, referral: Any
    ) -> None:
        household_id = str(uuid.uuid4())
        await referral.flag(household_id, ("housing", "high"))
        found = await referral.wait_for_referrals(
            household_id,
            lambda f: f.get("temporary_shelter", {}).get("hold_status") == "requested",
        )
        shelter_referral = found["temporary_shelter"]
        url = f"/partner/v1/referrals/{shelter_referral['id']}/accept"

        early = await referral.client.post(url, headers=partner(referral, SHELTER_OPERATOR))
        assert early.status_code == 409, early.text
        assert early.json()["code"] == "hold_pending"
        waiting = (await referral.referrals(household_id))["temporary_shelter"]
        assert waiting["status"] == "requested"
        assert [a["outcome"] for a in waiting["attempts"]] == ["pending"]

        await referral.shelter_event(
            shelter.HOLD_PLACED.type,
            shelter_referral["shelter_id"],
            shelter.HoldPlaced(
                hold_id=str(uuid.uuid4()),
                referral_id=shelter_referral["id"],
                shelter_id=shelter_referral["shelter_id"],
                category="family",
                expires_at=datetime.now(UTC) + timedelta(hours=24),
            ),
        )
        await referral.wait_for_referrals(
            household_id, lambda f: f["temporary_shelter"]["hold_status"] == "held"
        )
        accepted = await referral.client.post(url, headers=partner(referral, SHELTER_OPERATOR))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "accepted"


class TestPartnerList:
    async def test_a_declined_referral_stays_listed_as_rejected(self, talas: Any) -> None:
        referral = await home_care_referral(talas)
        await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/reject",
            json={"reason": "no staff"},
            headers=partner(talas, DISTRICT_ORG),
        )
        rejected = await talas.client.get(
            "/partner/v1/referrals",
            params={"status": "rejected", "limit": 500},
            headers=partner(talas, DISTRICT_ORG),
        )
        [item] = [r for r in rejected.json()["items"] if r["id"] == referral["id"]]
        assert item["attempt_outcome"] == "rejected"
        requested = await talas.client.get(
            "/partner/v1/referrals",
            params={"status": "requested", "limit": 500},
            headers=partner(talas, DISTRICT_ORG),
        )
        assert referral["id"] not in {r["id"] for r in requested.json()["items"]}
        # The partner it moved to sees it as requested.
        theirs = await talas.client.get(
            "/partner/v1/referrals",
            params={"status": "requested", "limit": 500},
            headers=partner(talas, REGION_ORG),
        )
        assert referral["id"] in {r["id"] for r in theirs.json()["items"]}

    async def test_changed_since_returns_only_later_changes_oldest_first(self, talas: Any) -> None:
        first = await home_care_referral(talas)
        listed = await talas.client.get(
            f"/partner/v1/referrals/{first['id']}", headers=partner(talas, DISTRICT_ORG)
        )
        since = listed.json()["changed_at"]
        second = await home_care_referral(talas)
        await talas.client.post(
            f"/partner/v1/referrals/{first['id']}/accept", headers=partner(talas, DISTRICT_ORG)
        )
        response = await talas.client.get(
            "/partner/v1/referrals",
            params={"changed_since": since, "limit": 500},
            headers=partner(talas, DISTRICT_ORG),
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        ids = [r["id"] for r in items]
        assert first["id"] in ids and second["id"] in ids
        assert ids.index(second["id"]) < ids.index(first["id"])
        changed = [datetime.fromisoformat(r["changed_at"]) for r in items]
        assert changed == sorted(changed)
        assert all(c > datetime.fromisoformat(since) for c in changed)

        naive = await talas.client.get(
            "/partner/v1/referrals",
            params={"changed_since": "2026-01-01T00:00:00"},
            headers=partner(talas, DISTRICT_ORG),
        )
        assert naive.status_code == 422

    async def test_pages_do_not_overlap(self, talas: Any) -> None:
        for _ in range(3):
            await home_care_referral(talas)
        headers = partner(talas, DISTRICT_ORG)
        one = await talas.client.get(
            "/partner/v1/referrals", params={"limit": 2, "offset": 0}, headers=headers
        )
        two = await talas.client.get(
            "/partner/v1/referrals", params={"limit": 2, "offset": 2}, headers=headers
        )
        assert one.json()["total"] == two.json()["total"] >= 3
        first_ids = {r["id"] for r in one.json()["items"]}
        assert len(first_ids) == 2
        assert not first_ids & {r["id"] for r in two.json()["items"]}
