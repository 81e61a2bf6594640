"""Case 4: events delivered again, and an older event delivered after a newer one.

Copies of already handled events (the same event id) are put straight onto the topics,
as a broker redelivers after a lost commit; an older capacity snapshot and an old flag
and hold request come back under new ids. Nothing is duplicated, nothing goes back.
"""

from __future__ import annotations

import json
from typing import Any

from kamkor_common.events.schemas.referral import BED_HOLD_REQUESTED
from kamkor_common.events.schemas.risk import FAMILY_FLAGGED
from kamkor_common.events.schemas.shelter import CAPACITY_CHANGED, HOLD_PLACED
from kamkor_common.testing import wait_until
from tests.reliability.conftest import FAMILY_SHELTERS, Reliability
from tests.reliability.events import RawEvent, publish


async def _outbox(rel: Reliability, service: str, event_type: str) -> list[RawEvent]:
    rows = await rel.query(
        service,
        "SELECT topic, key, payload, event_id, event_type FROM outbox_messages "
        "WHERE event_type = $1 ORDER BY id",
        event_type,
    )
    return [RawEvent(**dict(row)) for row in rows]


def _state(rows: list[Any]) -> set[tuple[Any, ...]]:
    return {
        (
            r["id"],
            r["household_id"],
            r["service_type"],
            r["status"],
            r["hold_status"],
            r["shelter_id"],
        )
        for r in rows
    }


class TestRedelivery:
    async def test_copies_are_skipped_and_older_events_change_nothing(
        self, rel: Reliability
    ) -> None:
        families = await rel.register(8)
        await rel.stream(families, interval_s=0.1)
        await rel.settle(families)
        households = {f.household_id for f in families}
        before = await rel.referrals(families)
        referral_ids = {r["id"] for r in before}
        holds_before = await rel.query(
            "shelter", "SELECT id, referral_id, status FROM bed_holds ORDER BY id"
        )
        model_before = await rel.query(
            "referral",
            "SELECT shelter_id, category, available, total, as_of FROM shelter_availability",
        )

        flagged = [
            e for e in await _outbox(rel, "risk", FAMILY_FLAGGED.type) if e.key in households
        ]
        requested = [
            e
            for e in await _outbox(rel, "referral", BED_HOLD_REQUESTED.type)
            if e.key in referral_ids
        ]
        placed = [
            e
            for e in await _outbox(rel, "shelter", HOLD_PLACED.type)
            if json.loads(e.payload)["data"]["referral_id"] in referral_ids
        ]
        snapshots = [
            e
            for e in await _outbox(rel, "shelter", CAPACITY_CHANGED.type)
            if json.loads(e.payload)["data"]["shelter_id"] in FAMILY_SHELTERS
        ]
        assert len(flagged) == 8 and len(requested) == 4 and len(placed) == 4
        # The first snapshots of the run: the shelters had other totals then.
        oldest = {}
        for snapshot in snapshots:
            oldest.setdefault(json.loads(snapshot.payload)["data"]["shelter_id"], snapshot)

        copies = [*flagged, *requested, *placed]
        newcomers = [
            *(s.with_new_id() for s in oldest.values()),  # older than what the service knows
            *(f.with_new_id() for f in flagged),  # a stale flag for needs already met
            *(r.with_new_id() for r in requested),  # a bed asked for again
        ]
        referral_dups = await rel.consumer_total("duplicates", ["referral"])
        shelter_dups = await rel.consumer_total("duplicates", ["shelter"])
        await publish(rel.platform.bootstrap, [*copies, *newcomers])

        # Wait until every copy was seen (and skipped) and every newcomer handled.
        async def all_seen() -> bool:
            new_ids = [e.event_id for e in newcomers]
            handled = await rel.query(
                "referral",
                "SELECT event_id FROM inbox_messages WHERE event_id = ANY($1::text[])",
                new_ids,
            )
            handled += await rel.query(
                "shelter",
                "SELECT event_id FROM inbox_messages WHERE event_id = ANY($1::text[])",
                new_ids,
            )
            return (
                len(handled) == len(newcomers)
                and await rel.consumer_total("duplicates", ["referral"]) - referral_dups
                >= len(flagged) + len(placed)
                and await rel.consumer_total("duplicates", ["shelter"]) - shelter_dups
                >= len(requested)
            )

        await wait_until(all_seen, timeout_s=60, interval_s=0.3)
        await rel.settle(families)

        after = await rel.referrals(families)
        assert _state(after) == _state(before)
        holds_after = await rel.query(
            "shelter", "SELECT id, referral_id, status FROM bed_holds ORDER BY id"
        )
        assert [tuple(h) for h in holds_after] == [tuple(h) for h in holds_before]
        model_after = await rel.query(
            "referral",
            "SELECT shelter_id, category, available, total, as_of FROM shelter_availability",
        )

        # The old snapshots did not take the read model back (a repeated hold answer may
        # have brought a newer snapshot with the same counts).
        def counts(rows: list[Any]) -> list[tuple[Any, ...]]:
            return sorted(
                (r["shelter_id"], r["category"], r["available"], r["total"]) for r in rows
            )

        assert counts(model_after) == counts(model_before)
        as_of_before = {(r["shelter_id"], r["category"]): r["as_of"] for r in model_before}
        assert all(
            r["as_of"] >= as_of_before[(r["shelter_id"], r["category"])] for r in model_after
        )
        await rel.check(families)
