"""Supervisors see what nobody took or answered in their region and assign it by hand."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from kamkor_common.db import utcnow
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_referral.referrals.models import RoutingAttempt
from tests.referral.quiet import REGION_ORG, home_care, staff_view
from tests.referral.talas import DISTRICT_ORG, home_care_referral, partner
from tests.referral.talas import REGION_ORG as TALAS_REGION_ORG

DISTRICT_SERVICE = "7e570000-0000-4000-8000-00000000e001"
QUIET_REGION_SERVICE = "7e570000-0000-4000-8000-00000000f102"


def supervisor(harness: Any, region: str = "KG-T") -> dict[str, str]:
    return harness.token("supervisor", region=region)


async def unassigned_in_talas(talas: Any) -> dict[str, Any]:
    """A Talas home-care referral both partners declined: nobody is left."""
    referral = await home_care_referral(talas)
    for organization in (DISTRICT_ORG, TALAS_REGION_ORG):
        response = await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/reject",
            json={"reason": "no staff"},
            headers=partner(talas, organization),
        )
        assert response.status_code == 200, response.text
    return referral


class TestUnassignedQueue:
    async def test_a_supervisor_sees_the_unassigned_referrals_of_their_region(
        self, talas: Any
    ) -> None:
        referral = await unassigned_in_talas(talas)
        queue = await talas.client.get(
            "/api/v1/referrals/supervision/unassigned",
            params={"limit": 500},
            headers=supervisor(talas),
        )
        assert queue.status_code == 200, queue.text
        items = queue.json()["items"]
        assert referral["id"] in {r["id"] for r in items}
        assert all(r["status"] == "unassigned" and r["region"] == "KG-T" for r in items)

        elsewhere = await talas.client.get(
            "/api/v1/referrals/supervision/unassigned",
            params={"limit": 500},
            headers=supervisor(talas, "KG-N"),
        )
        assert referral["id"] not in {r["id"] for r in elsewhere.json()["items"]}
        escalations = await talas.client.get(
            "/api/v1/referrals/supervision/escalations",
            params={"limit": 500},
            headers=supervisor(talas),
        )
        [mine] = [e for e in escalations.json()["items"] if e["referral_id"] == referral["id"]]
        assert mine["kind"] == "unassigned" and mine["organization_id"] is None

    async def test_only_supervisors_and_admins(self, talas: Any) -> None:
        worker = talas.token("social_worker", region="KG-T", districts=["KG-T-01"])
        for path in ("unassigned", "escalations"):
            response = await talas.client.get(
                f"/api/v1/referrals/supervision/{path}", headers=worker
            )
            assert response.status_code == 403


class TestAssign:
    async def test_an_unassigned_referral_is_assigned_to_the_chosen_service(
        self, talas: Any
    ) -> None:
        referral = await unassigned_in_talas(talas)
        response = await talas.client.post(
            f"/api/v1/referrals/{referral['id']}/assign",
            json={"service_id": DISTRICT_SERVICE, "reason": "they have a carer free now"},
            headers=supervisor(talas),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "requested"
        assert body["partner"]["organization_id"] == DISTRICT_ORG
        assert [a["outcome"] for a in body["attempts"]] == ["rejected", "rejected", "pending"]
        step = body["history"][-1]
        assert (step["status"], step["role"], step["reason"]) == (
            "requested",
            "supervisor",
            "they have a carer free now",
        )
        [routed] = await talas.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"]
                and e.type == referral_events.REFERRAL_ROUTED.type
                and e.data["reason"] == "assigned_by_supervisor"
            ),
        )
        assert routed.data["attempt"] == 3
        # The partner sees it as its own again.
        seen = await talas.client.get(
            f"/partner/v1/referrals/{referral['id']}", headers=partner(talas, DISTRICT_ORG)
        )
        assert seen.json()["status"] == "requested"

    async def test_an_ineligible_choice_is_409_with_the_reasons_and_changes_nothing(
        self, talas: Any
    ) -> None:
        referral = await unassigned_in_talas(talas)
        response = await talas.client.post(
            f"/api/v1/referrals/{referral['id']}/assign",
            json={"service_id": str(uuid.uuid4()), "reason": "try them"},
            headers=supervisor(talas),
        )
        assert response.status_code == 409
        assert response.json()["code"] == "service_not_eligible"
        assert response.json()["reasons"]
        after = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert after["status"] == "unassigned" and len(after["attempts"]) == 2

    async def test_a_referral_still_waiting_for_an_answer_is_not_assignable(
        self, talas: Any
    ) -> None:
        referral = await home_care_referral(talas)
        response = await talas.client.post(
            f"/api/v1/referrals/{referral['id']}/assign",
            json={"service_id": DISTRICT_SERVICE, "reason": "hurry"},
            headers=supervisor(talas),
        )
        assert response.status_code == 409
        assert response.json()["code"] == "not_assignable"

    async def test_outside_the_region_it_is_not_found(self, talas: Any) -> None:
        referral = await unassigned_in_talas(talas)
        response = await talas.client.post(
            f"/api/v1/referrals/{referral['id']}/assign",
            json={"service_id": DISTRICT_SERVICE, "reason": "x"},
            headers=supervisor(talas, "KG-N"),
        )
        assert response.status_code == 404


class TestDeadlinePassed:
    async def test_an_overdue_answer_is_escalated_and_can_be_assigned(self, quiet: Any) -> None:
        referral = await home_care(quiet, severity="high")
        async with quiet.database.sessionmaker() as session, session.begin():
            await session.execute(
                update(RoutingAttempt)
                .where(col(RoutingAttempt.referral_id) == referral["id"])
                .values(response_due_at=utcnow() - timedelta(minutes=1))
            )
        escalations = await quiet.client.get(
            "/api/v1/referrals/supervision/escalations",
            params={"limit": 500},
            headers=supervisor(quiet),
        )
        [mine] = [e for e in escalations.json()["items"] if e["referral_id"] == referral["id"]]
        assert mine["kind"] == "deadline_passed" and mine["status"] == "requested"

        response = await quiet.client.post(
            f"/api/v1/referrals/{referral['id']}/assign",
            json={"service_id": QUIET_REGION_SERVICE, "reason": "district partner silent"},
            headers=supervisor(quiet),
        )
        assert response.status_code == 200, response.text
        view = await staff_view(quiet, referral)
        assert view["partner"]["organization_id"] == REGION_ORG
        assert [a["outcome"] for a in view["attempts"]] == ["superseded", "pending"]
