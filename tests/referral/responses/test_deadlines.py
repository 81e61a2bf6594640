"""Response deadlines: a partner that does not answer in time loses the referral to the next."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.schemas import shelter
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.reference.partners import SHELTER_OPERATOR
from kamkor_referral.housing import service as housing_service
from kamkor_referral.referrals import repository
from tests.referral.quiet import (
    DISTRICT_ORG,
    MINUTE,
    REGION_ORG,
    due_at,
    flag,
    home_care,
    made_at,
    outbox_types,
    run_deadlines,
    staff_view,
)


class TestHandleDueResponses:
    async def test_a_missed_stat_deadline_moves_on_then_escalates(self, quiet: Any) -> None:
        referral = await home_care(quiet)
        assert referral["priority"] == "stat"
        assert due_at(referral) == made_at(referral) + timedelta(hours=2)

        late = due_at(referral) + MINUTE
        run = await run_deadlines(quiet, late)
        assert referral["id"] in run.expired
        moved = await staff_view(quiet, referral)
        assert moved["status"] == "requested"
        assert moved["partner"]["organization_id"] == REGION_ORG
        first, second = moved["attempts"]
        assert (first["organization_id"], first["outcome"]) == (DISTRICT_ORG, "expired")
        assert first["reason"].startswith("deadline_missed")
        assert datetime.fromisoformat(first["decided_at"]) == late
        # The next partner's time runs from the moment the referral reached it.
        assert (second["organization_id"], second["outcome"]) == (REGION_ORG, "pending")
        assert made_at(moved) == late
        assert due_at(moved) == late + timedelta(hours=2)
        assert any("Bakai-Ata home care" in r and "deadline missed" in r for r in moved["reasons"])

        later = due_at(moved) + MINUTE
        run = await run_deadlines(quiet, later)
        assert referral["id"] in run.expired
        # Both partners missed it: nobody is left who has not been tried.
        unassigned = await staff_view(quiet, referral)
        assert unassigned["status"] == "unassigned"
        assert unassigned["partner"] is None
        assert [a["outcome"] for a in unassigned["attempts"]] == ["expired", "expired"]

        published = await quiet.events(
            REFERRAL_REFERRALS, lambda e: e.partitionkey == referral["id"], count=4, settle_s=0.5
        )
        # A missed deadline is no rejection: only the routing and the escalation are told.
        assert [(e.type, e.data["reason"]) for e in published] == [
            (referral_events.REFERRAL_CREATED.type, None),
            (referral_events.REFERRAL_ROUTED.type, "new_referral"),
            (referral_events.REFERRAL_ROUTED.type, "deadline_missed"),
            (referral_events.REFERRAL_ESCALATED.type, "deadline_missed"),
        ]
        assert published[2].data["organization_id"] == REGION_ORG
        assert published[2].data["attempt"] == 2

    @pytest.mark.parametrize("hold", ["requested", "held"])
    async def test_a_missed_deadline_releases_the_bed_hold(self, quiet: Any, hold: str) -> None:
        found = await flag(quiet, str(uuid.uuid4()), ("housing", "critical"), region="KG-J")
        referral = found["temporary_shelter"]
        assert referral["priority"] == "stat"
        assert referral["partner"]["organization_id"] == SHELTER_OPERATOR
        held_at = referral["shelter_id"]
        if hold == "held":
            async with quiet.database.sessionmaker() as session, session.begin():
                await housing_service.record_hold_placed(
                    session=session,
                    placed=shelter.HoldPlaced(
                        hold_id=str(uuid.uuid4()),
                        referral_id=referral["id"],
                        shelter_id=held_at,
                        category="family",
                        expires_at=due_at(referral) + timedelta(hours=24),
                    ),
                )
        assert (await staff_view(quiet, referral))["hold_status"] == hold

        run = await run_deadlines(quiet, due_at(referral) + MINUTE)
        assert referral["id"] in run.expired
        after = await staff_view(quiet, referral)
        # The operator is the only temporary shelter partner, and it has been tried.
        assert after["status"] == "unassigned"
        assert after["hold_status"] == "released"
        assert [a["outcome"] for a in after["attempts"]] == ["expired"]
        [release] = await quiet.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"]
                and e.type == referral_events.BED_HOLD_RELEASE_REQUESTED.type
            ),
        )
        assert release.data == {
            "referral_id": referral["id"],
            "shelter_id": held_at,
            "reason": "deadline_missed",
        }
        assert await outbox_types(quiet, referral["id"]) == [
            referral_events.REFERRAL_CREATED.type,
            referral_events.REFERRAL_ROUTED.type,
            referral_events.BED_HOLD_REQUESTED.type,
            referral_events.BED_HOLD_RELEASE_REQUESTED.type,
            referral_events.REFERRAL_ESCALATED.type,
        ]

    async def test_the_half_time_reminder_is_recorded_once(self, quiet: Any) -> None:
        referral = await home_care(quiet)
        staged = await outbox_types(quiet, referral["id"])
        half_time = made_at(referral) + timedelta(hours=1)

        early = await run_deadlines(quiet, half_time - MINUTE)
        assert referral["id"] not in early.reminded + early.expired

        run = await run_deadlines(quiet, half_time + MINUTE)
        assert referral["id"] in run.reminded
        reminded = await staff_view(quiet, referral)
        assert reminded["status"] == "requested"
        assert reminded["partner"]["organization_id"] == DISTRICT_ORG
        [attempt] = reminded["attempts"]
        assert attempt["outcome"] == "pending"
        assert datetime.fromisoformat(attempt["reminded_at"]) == half_time + MINUTE
        due = f"{due_at(referral):%Y-%m-%d %H:%M} UTC"
        reminders = [r for r in reminded["reasons"] if r.startswith("reminder:")]
        assert reminders == [f"reminder: response due at {due} (Bakai-Ata home care)"]
        # Published once, for the partner's webhooks.
        assert await outbox_types(quiet, referral["id"]) == [
            *staged,
            referral_events.REFERRAL_REMINDER_DUE.type,
        ]
        [reminder] = await quiet.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == referral["id"]
                and e.type == referral_events.REFERRAL_REMINDER_DUE.type
            ),
        )
        assert datetime.fromisoformat(reminder.data["response_due_at"]) == due_at(referral)
        assert reminder.data["organization_id"] == DISTRICT_ORG

        again = await run_deadlines(quiet, due_at(referral) - MINUTE)
        assert referral["id"] not in again.reminded + again.expired
        assert await staff_view(quiet, referral) == reminded

        run = await run_deadlines(quiet, due_at(referral) + MINUTE)
        assert referral["id"] in run.expired

    async def test_an_accepted_referral_is_never_touched(self, quiet: Any) -> None:
        referral = await home_care(quiet)
        response = await quiet.client.post(
            f"/partner/v1/referrals/{referral['id']}/accept",
            headers=quiet.token("partner", organization_id=DISTRICT_ORG),
        )
        assert response.status_code == 200, response.text
        accepted = await staff_view(quiet, referral)

        run = await run_deadlines(quiet, due_at(referral) + timedelta(days=30))
        assert referral["id"] not in run.expired + run.reminded
        assert await staff_view(quiet, referral) == accepted
        assert accepted["attempts"][0]["reminded_at"] is None

    async def test_a_referral_not_yet_due_is_untouched(self, quiet: Any) -> None:
        routine = await home_care(quiet, severity="medium")
        assert routine["priority"] == "routine"
        assert due_at(routine) == made_at(routine) + timedelta(hours=72)
        stat = await home_care(quiet)
        before = await staff_view(quiet, routine)

        # Past the stat deadline, short of the routine reminder (36 h).
        run = await run_deadlines(quiet, due_at(stat) + MINUTE)
        assert stat["id"] in run.expired
        assert routine["id"] not in run.expired + run.reminded
        assert await staff_view(quiet, routine) == before

    async def test_a_run_handles_one_bounded_batch_soonest_due_first(self, quiet: Any) -> None:
        # Made one after the other, so due one after the other; their ids are random.
        made = [await home_care(quiet) for _ in range(4)]
        ours = [referral["id"] for referral in made]
        now = due_at(made[-1]) + MINUTE
        one_at_a_time = quiet.settings.model_copy(update={"DEADLINE_BATCH_SIZE": 1})

        expired: list[str] = []
        for _ in range(100):
            run = await run_deadlines(quiet, now, settings=one_at_a_time)
            if not run.expired + run.reminded:
                break
            assert len(run.expired + run.reminded) == 1
            expired += run.expired
        assert [i for i in expired if i in ours] == ours

    async def test_a_referral_another_worker_holds_is_skipped(self, quiet: Any) -> None:
        referral = await home_care(quiet)
        late = due_at(referral) + MINUTE
        async with quiet.database.sessionmaker() as other, other.begin():
            assert await repository.get(other, referral["id"], for_update=True) is not None
            # Skipped, not waited for: the run ends while the other worker holds the row.
            run = await asyncio.wait_for(run_deadlines(quiet, late), 10)
            assert referral["id"] not in run.expired
        run = await run_deadlines(quiet, late)
        assert referral["id"] in run.expired


class TestOpenFromFlag:
    async def test_a_higher_priority_shortens_the_partners_time(self, quiet: Any) -> None:
        routine = await home_care(quiet, severity="medium")
        found = await flag(quiet, routine["household_id"], ("caregiving", "critical"))
        raised = found["home_care_support"]
        assert raised["priority"] == "stat"
        assert len(raised["attempts"]) == 1
        assert due_at(raised) == made_at(routine) + timedelta(hours=2)
        assert f"response now due at {due_at(raised):%Y-%m-%d %H:%M} UTC" in raised["reasons"]
        assert (await outbox_types(quiet, routine["id"]))[-1] == (
            referral_events.REFERRAL_DEADLINE_MOVED.type
        )
        [moved] = await quiet.events(
            REFERRAL_REFERRALS,
            lambda e: (
                e.partitionkey == routine["id"]
                and e.type == referral_events.REFERRAL_DEADLINE_MOVED.type
            ),
        )
        assert moved.data["priority"] == "stat" and moved.data["reason"] == "priority_raised"
        assert datetime.fromisoformat(moved.data["response_due_at"]) == due_at(raised)

        run = await run_deadlines(quiet, due_at(raised) + MINUTE)
        assert routine["id"] in run.expired
