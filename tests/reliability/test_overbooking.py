"""More families than beds, and a referral service that believes there are plenty.

The referral service's read model is given false snapshots (50 free beds per shelter),
so it asks for beds that do not exist: the shelter service refuses what it cannot hold,
the referrals move on, and those nobody can take end unassigned. No bed is held twice.
"""

from __future__ import annotations

import json

from kamkor_common.db import utcnow
from kamkor_common.events.envelope import new_event
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, SOURCE, CapacityChanged
from kamkor_common.events.topics import SHELTER_CAPACITY
from kamkor_common.reference.partners import SHELTERS
from kamkor_common.testing import wait_until
from tests.reliability.conftest import FAMILY_SHELTERS, PLENTY, Reliability
from tests.reliability.events import RawEvent, publish

FREE_PER_SHELTER = 1
FAMILIES = 12


def _false_snapshot(shelter_id: str, beds: dict[str, int]) -> RawEvent:
    reference = next(s for s in SHELTERS if s.id == shelter_id)
    snapshot = CapacityChanged(
        shelter_id=shelter_id,
        organization_id=reference.organization_id,
        region=reference.region,
        district=reference.district,
        categories=[{**beds, "total": 60, "available": 50}],
        as_of=utcnow(),
    )
    event = new_event(source=SOURCE, type=CAPACITY_CHANGED.type, key=shelter_id, data=snapshot)
    return RawEvent(
        SHELTER_CAPACITY,
        shelter_id,
        json.dumps(event.model_dump(mode="json")),
        event.id,
        CAPACITY_CHANGED.type,
    )


class TestMoreFamiliesThanBeds:
    async def test_no_bed_is_overbooked_and_every_family_gets_an_answer(
        self, rel: Reliability
    ) -> None:
        families = await rel.register(FAMILIES, kinds=("housing",))
        beds = {s: await rel.family_beds(s) for s in FAMILY_SHELTERS}
        try:
            await rel.set_family_beds(
                {
                    s: b["held"] + b["occupied"] + b["out_of_service"] + FREE_PER_SHELTER
                    for s, b in beds.items()
                }
            )
            await publish(
                rel.platform.bootstrap,
                [_false_snapshot(s, await rel.family_beds(s)) for s in FAMILY_SHELTERS],
            )

            async def misinformed() -> bool:
                rows = await rel.query(
                    "referral",
                    "SELECT available FROM shelter_availability WHERE category = 'family' "
                    "AND shelter_id = ANY($1::text[])",
                    FAMILY_SHELTERS,
                )
                return len(rows) == len(FAMILY_SHELTERS) and all(r["available"] == 50 for r in rows)

            await wait_until(misinformed, timeout_s=60, interval_s=0.2)
            await rel.stream(families, interval_s=0.05, concurrency=6)
            await rel.settle(
                families,
                timeout_s=180,
                hold_settled=lambda r: r["hold_status"] == "held" or r["status"] == "unassigned",
            )
            await rel.check(families)

            rows = [
                r for r in await rel.referrals(families) if r["service_type"] == "temporary_shelter"
            ]
            held = [r for r in rows if r["hold_status"] == "held"]
            assert len(held) == FREE_PER_SHELTER * len(FAMILY_SHELTERS), [tuple(r) for r in rows]
            for shelter_id in FAMILY_SHELTERS:
                assert (await rel.family_beds(shelter_id))["available"] == 0
            rejected = await rel.query(
                "referral",
                "SELECT count(*) AS n FROM routing_attempts WHERE outcome = 'hold_rejected' "
                "AND referral_id = ANY($1::text[])",
                [r["id"] for r in rows],
            )
            assert rejected[0]["n"] > 0, "the shelters had to refuse beds they did not have"
        finally:
            await rel.set_family_beds({s: PLENTY for s in FAMILY_SHELTERS})
