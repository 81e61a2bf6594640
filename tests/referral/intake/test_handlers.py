"""Flag updates raise the priority of the referrals the flag opened; resolutions are noted."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from kamkor_common.events.schemas.risk import FLAG_RESOLVED, FLAG_UPDATED, FlagChanged
from kamkor_common.events.topics import RISK_FLAGS


async def routine_home_care(talas: Any) -> dict[str, Any]:
    household_id = str(uuid.uuid4())
    await talas.flag(household_id, ("caregiving", "medium"), region="KG-T", district="KG-T-01")
    found = await talas.wait_for_referrals(
        household_id, lambda f: f.get("home_care_support", {}).get("status") == "requested"
    )
    referral = dict(found["home_care_support"])
    assert referral["priority"] == "routine"
    return referral


def change(referral: dict[str, Any], severity: str, previous: str = "medium") -> FlagChanged:
    return FlagChanged(
        flag_id=referral["source_flag_ids"][0],
        household_id=referral["household_id"],
        domain="caregiving",
        severity=severity,  # type: ignore[arg-type]
        previous_severity=previous,  # type: ignore[arg-type]
        screening_id=str(uuid.uuid4()),
        rule_set_version="test",
    )


class TestFlagUpdated:
    async def test_a_higher_severity_raises_priority_and_shortens_the_deadline(
        self, talas: Any
    ) -> None:
        referral = await routine_home_care(talas)
        event = FLAG_UPDATED.build(change(referral, "critical"))
        await talas.send(RISK_FLAGS, event)
        await talas.wait_handled(event)

        after = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert after["priority"] == "stat"
        made = datetime.fromisoformat(after["attempts"][-1]["created_at"])
        assert datetime.fromisoformat(after["attempts"][-1]["response_due_at"]) == made + timedelta(
            hours=2
        )
        assert any("now critical" in r for r in after["reasons"])

    async def test_a_flag_of_another_referral_changes_nothing(self, talas: Any) -> None:
        referral = await routine_home_care(talas)
        other = change(referral, "critical").model_copy(update={"flag_id": str(uuid.uuid4())})
        event = FLAG_UPDATED.build(other)
        await talas.send(RISK_FLAGS, event)
        await talas.wait_handled(event)
        after = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert after["priority"] == "routine"


class TestFlagResolved:
    async def test_the_referral_notes_it_and_goes_on(self, talas: Any) -> None:
        referral = await routine_home_care(talas)
        event = FLAG_RESOLVED.build(change(referral, "low"))
        await talas.send(RISK_FLAGS, event)
        await talas.wait_handled(event)
        after = (await talas.referrals(referral["household_id"]))["home_care_support"]
        assert after["status"] == "requested"
        assert any(
            r.endswith(f"resolved by screening {event.data['screening_id']}")
            for r in after["reasons"]
        )
