"""The lifecycle: a partner starts, pauses, completes or fails; staff cancel or void."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.reference.partners import SHELTER_OPERATOR
from tests.referral.talas import DISTRICT_ORG, home_care_referral, mentions, partner

TALAS_WORKER = {"region": "KG-T", "districts": ["KG-T-01"]}


async def accepted(talas: Any) -> dict[str, Any]:
    referral = await home_care_referral(talas)
    response = await talas.client.post(
        f"/partner/v1/referrals/{referral['id']}/accept", headers=partner(talas, DISTRICT_ORG)
    )
    assert response.status_code == 200, response.text
    return referral


async def act(talas: Any, referral: dict[str, Any], action: str, **body: Any) -> Any:
    return await talas.client.post(
        f"/partner/v1/referrals/{referral['id']}/{action}",
        json=body or None,
        headers=partner(talas, DISTRICT_ORG),
    )


async def staff(talas: Any, referral: dict[str, Any], action: str, role: str, **claims: Any) -> Any:
    return await talas.client.post(
        f"/api/v1/referrals/{referral['id']}/{action}",
        json={"reason": "family moved to Bishkek"},
        headers=talas.token(role, **claims),
    )


async def staff_view(talas: Any, referral: dict[str, Any]) -> dict[str, Any]:
    return (await talas.referrals(referral["household_id"]))["home_care_support"]


class TestPartnerLifecycle:
    async def test_start_hold_resume_complete_publishes_each_step_and_records_the_path(
        self, talas: Any
    ) -> None:
        referral = await accepted(talas)
        for action, body, status in (
            ("start", {}, "in_progress"),
            ("hold", {"reason": "mother in hospital"}, "on_hold"),
            ("resume", {}, "in_progress"),
            ("complete", {"outcome": "got_help", "note": "carer visits twice a week"}, "completed"),
        ):
            response = await act(talas, referral, action, **body)
            assert response.status_code == 200, (action, response.text)
            assert response.json()["status"] == status

        published = await talas.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey == referral["id"], count=7
        )
        assert [e.type for e in published][-5:] == [
            referral_events.REFERRAL_ACCEPTED.type,
            referral_events.REFERRAL_STARTED.type,
            referral_events.REFERRAL_PUT_ON_HOLD.type,
            referral_events.REFERRAL_RESUMED.type,
            referral_events.REFERRAL_COMPLETED.type,
        ]
        completed = published[-1]
        assert completed.data["outcome"] == "got_help"
        assert completed.data["status"] == "completed"
        assert completed.subject == f"referral/{referral['id']}"
        # Words stay in the referral's database; events carry codes.
        assert not mentions(published, "mother in hospital")
        assert not mentions(published, "carer visits")

        view = await staff_view(talas, referral)
        path = [step["status"] for step in view["history"]]
        assert path == [
            "draft",
            "requested",
            "accepted",
            "in_progress",
            "on_hold",
            "in_progress",
            "completed",
        ]
        times = [datetime.fromisoformat(step["at"]) for step in view["history"]]
        assert times == sorted(times)
        assert view["history"][4]["reason"] == "mother in hospital"
        assert view["history"][4]["role"] == "partner"
        assert view["history"][-1]["outcome"] == "got_help"
        assert view["history"][1]["role"] is None  # routed by Kamkor itself

    async def test_fail_with_a_reason(self, talas: Any) -> None:
        referral = await accepted(talas)
        assert (await act(talas, referral, "start")).status_code == 200
        response = await act(talas, referral, "fail", reason="family unreachable")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "failed"
        [failed] = await talas.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"] and e.type == referral_events.REFERRAL_FAILED.type
            ),
        )
        assert failed.data["status"] == "failed"
        again = await act(talas, referral, "resume")
        assert again.status_code == 409
        assert again.json()["allowed"] == ["entered_in_error"]

    async def test_a_forbidden_move_is_409_naming_the_allowed_states(self, talas: Any) -> None:
        referral = await accepted(talas)
        response = await act(talas, referral, "complete", outcome="got_help")
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "invalid_transition"
        assert body["allowed"] == ["cancelled", "entered_in_error", "in_progress"]
        assert body["current_status"] == "accepted"
        assert (await staff_view(talas, referral))["status"] == "accepted"

        requested = await home_care_referral(talas)
        early = await act(talas, requested, "start")
        assert early.status_code == 409
        assert "in_progress" not in early.json()["allowed"]

    async def test_inputs_are_checked(self, talas: Any) -> None:
        referral = await accepted(talas)
        await act(talas, referral, "start")
        unknown = await act(talas, referral, "complete", outcome="happy")
        assert unknown.status_code == 422
        no_reason = await act(talas, referral, "hold", reason="  ")
        assert no_reason.status_code == 422
        assert (await staff_view(talas, referral))["status"] == "in_progress"

    async def test_a_retried_write_with_the_same_key_is_answered_once(self, talas: Any) -> None:
        referral = await accepted(talas)
        headers = {**partner(talas, DISTRICT_ORG), "Idempotency-Key": str(uuid.uuid4())}
        url = f"/partner/v1/referrals/{referral['id']}/start"
        first = await talas.client.post(url, headers=headers)
        second = await talas.client.post(url, headers=headers)
        assert first.status_code == second.status_code == 200
        assert second.headers.get("idempotent-replayed") == "true"
        path = [s["status"] for s in (await staff_view(talas, referral))["history"]]
        assert path.count("in_progress") == 1

    async def test_another_partner_cannot_move_it(self, talas: Any) -> None:
        referral = await accepted(talas)
        response = await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/start",
            headers=partner(talas, SHELTER_OPERATOR),
        )
        assert response.status_code == 404


class TestStaffEnding:
    async def test_a_social_worker_cancels_a_waiting_referral_in_their_district(
        self, talas: Any
    ) -> None:
        referral = await home_care_referral(talas)
        elsewhere = await staff(
            talas, referral, "cancel", "social_worker", region="KG-T", districts=["KG-T-02"]
        )
        assert elsewhere.status_code == 404

        response = await staff(talas, referral, "cancel", "social_worker", **TALAS_WORKER)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "cancelled"
        assert body["attempts"][-1]["outcome"] == "superseded"
        assert body["history"][-1]["reason"] == "family moved to Bishkek"
        [cancelled] = await talas.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"]
                and e.type == referral_events.REFERRAL_CANCELLED.type
            ),
        )
        assert cancelled.data["reason"] == "cancelled_by_staff"

        again = await staff(talas, referral, "cancel", "admin")
        assert again.status_code == 409
        assert again.json()["allowed"] == ["entered_in_error"]
        partner_view = await act(talas, referral, "accept")
        assert partner_view.status_code == 409

    async def test_only_supervisors_and_admins_mark_entered_in_error(self, talas: Any) -> None:
        referral = await accepted(talas)
        worker = await staff(talas, referral, "entered-in-error", "social_worker", **TALAS_WORKER)
        assert worker.status_code == 403
        response = await staff(talas, referral, "entered-in-error", "supervisor", region="KG-T")
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "entered_in_error"
        again = await staff(talas, referral, "entered-in-error", "admin")
        assert again.status_code == 409
        assert again.json()["allowed"] == []

    async def test_cancelling_a_shelter_referral_releases_its_bed(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        await referral.flag(household_id, ("housing", "high"))
        found = await referral.wait_for_referrals(
            household_id,
            lambda f: f.get("temporary_shelter", {}).get("hold_status") == "requested",
        )
        shelter_referral = found["temporary_shelter"]
        response = await referral.client.post(
            f"/api/v1/referrals/{shelter_referral['id']}/cancel",
            json={"reason": "family found housing"},
            headers=referral.token("admin"),
        )
        assert response.status_code == 200, response.text
        assert response.json()["hold_status"] == "released"
        [release] = await referral.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == shelter_referral["id"]
                and e.type == referral_events.BED_HOLD_RELEASE_REQUESTED.type
            ),
        )
        assert release.data == {
            "referral_id": shelter_referral["id"],
            "shelter_id": shelter_referral["shelter_id"],
            "reason": "referral_cancelled",
        }
