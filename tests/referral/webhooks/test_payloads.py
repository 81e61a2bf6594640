"""Which events can be subscribed to, and what a webhook body may carry."""

from __future__ import annotations

import json
import types
from datetime import UTC, datetime

import pytest

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import referral as referral_events
from kamkor_referral.webhooks import payloads


class TestSubscribableTypes:
    def test_every_referral_event_and_no_bed_hold_event(self) -> None:
        found = payloads.subscribable_types()
        assert {
            referral_events.REFERRAL_CREATED,
            referral_events.REFERRAL_ROUTED,
            referral_events.REFERRAL_ACCEPTED,
            referral_events.REFERRAL_REJECTED,
            referral_events.REFERRAL_ESCALATED,
        } <= found
        assert referral_events.BED_HOLD_REQUESTED not in found
        assert referral_events.BED_HOLD_RELEASE_REQUESTED not in found

    def test_declaration_objects_count_as_well_as_constants(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        declared = types.SimpleNamespace(type="kamkor.referral.referral.reminder_due.v1")
        monkeypatch.setattr(referral_events, "REMINDER_DUE", declared, raising=False)
        monkeypatch.setattr(
            referral_events, "ASSIGNED", "kamkor.referral.assignment.made.v1", raising=False
        )
        monkeypatch.setattr(
            referral_events, "HOLD_KEPT", "kamkor.referral.bed_hold.kept.v1", raising=False
        )
        payloads.subscribable_types.cache_clear()
        try:
            found = payloads.subscribable_types()
            assert declared.type in found
            assert "kamkor.referral.assignment.made.v1" in found
            assert "kamkor.referral.bed_hold.kept.v1" not in found
        finally:
            monkeypatch.undo()
            payloads.subscribable_types.cache_clear()
        assert declared.type not in payloads.subscribable_types()

    def test_wildcard_matches_everything(self) -> None:
        assert payloads.matches(["*"], referral_events.REFERRAL_ACCEPTED)
        assert not payloads.matches([referral_events.REFERRAL_ROUTED], "x")


class TestBody:
    def test_ids_and_codes_only(self) -> None:
        event = CloudEvent(
            source=referral_events.SOURCE,
            type=referral_events.REFERRAL_ACCEPTED,
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
            "type": referral_events.REFERRAL_ACCEPTED,
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
