"""Which events can be subscribed to, and what a webhook body may carry."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import referral as referral_events
from kamkor_referral.webhooks import payloads


class TestSubscribableTypes:
    def test_every_referral_event_and_no_bed_hold_event(self) -> None:
        found = payloads.subscribable_types()
        assert {
            referral_events.REFERRAL_CREATED.type,
            referral_events.REFERRAL_ROUTED.type,
            referral_events.REFERRAL_ACCEPTED.type,
            referral_events.REFERRAL_REJECTED.type,
            referral_events.REFERRAL_ESCALATED.type,
        } <= found
        assert referral_events.BED_HOLD_REQUESTED.type not in found
        assert referral_events.BED_HOLD_RELEASE_REQUESTED.type not in found

    def test_reminders_and_deadline_moves_can_be_subscribed_to(self) -> None:
        found = payloads.subscribable_types()
        assert referral_events.REFERRAL_REMINDER_DUE.type in found
        assert referral_events.REFERRAL_DEADLINE_MOVED.type in found
        assert referral_events.REFERRAL_COMPLETED.type in found

    def test_wildcard_matches_everything(self) -> None:
        assert payloads.matches(["*"], referral_events.REFERRAL_ACCEPTED.type)
        assert not payloads.matches([referral_events.REFERRAL_ROUTED.type], "x")


class TestBody:
    def test_ids_and_codes_only(self) -> None:
        event = CloudEvent(
            source=referral_events.SOURCE,
            type=referral_events.REFERRAL_ACCEPTED.type,
            partitionkey="r1",
            time=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
            data={
                "referral_id": "r1",
                "household_id": "h1",
                "status": "accepted",
                "organization_id": "o1",
                "priority": "urgent",
                "response_due_at": "2026-12-03T08:00:00Z",
                "family_name": "Адылбекова",
                "phone": "+996 555 000 000",
                "note": "free text",
            },
        )
        body = json.loads(payloads.body(event))
        assert body == {
            "type": referral_events.REFERRAL_ACCEPTED.type,
            "timestamp": "2026-12-02T08:00:00+00:00",
            "data": {
                "referral_id": "r1",
                "household_id": "h1",
                "status": "accepted",
                "organization_id": "o1",
                "priority": "urgent",
                "response_due_at": "2026-12-03T08:00:00Z",
            },
        }
