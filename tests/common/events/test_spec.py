"""Event declarations: one per type, on a known topic, staged with the right key and subject."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from kamkor_common.db import Database
from kamkor_common.events.catalog import SPECS, spec_for
from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas import referral, registry, risk, shelter
from kamkor_common.events.topics import PARTITIONS
from kamkor_common.messaging import outbox
from kamkor_common.messaging.outbox import OutboxMessage


class TestCatalog:
    def test_every_spec_is_on_a_created_topic_and_keyed_by_a_data_field(self) -> None:
        assert SPECS
        for spec in SPECS:
            assert spec.topic in PARTITIONS, spec.type
            assert spec.key in spec.data.model_fields, spec.type
            assert spec.type.startswith("kamkor.") and spec.type.endswith(".v1")

    def test_types_are_unique_and_found_by_type(self) -> None:
        types = [spec.type for spec in SPECS]
        assert len(types) == len(set(types))
        assert spec_for(risk.FAMILY_FLAGGED.type) is risk.FAMILY_FLAGGED
        assert spec_for("kamkor.nobody.nothing.v1") is None

    def test_every_producer_is_listed(self) -> None:
        sources = {spec.source for spec in SPECS}
        assert sources == {registry.SOURCE, risk.SOURCE, referral.SOURCE, shelter.SOURCE}

    def test_consent_events_are_declared_for_the_referral_read_model(self) -> None:
        fields = set(registry.CONSENT_RECORDED.data.model_fields)
        assert fields == {
            "consent_id",
            "household_id",
            "person_id",
            "scope",
            "legal_basis",
            "given_at",
            "expires_at",
            "withdrawn_at",
        }
        assert registry.CONSENT_WITHDRAWN.topic == "registry.households.v1"

    def test_visit_recorded_carries_what_risk_scores_and_no_notes(self) -> None:
        spec = registry.VISIT_RECORDED
        assert (spec.topic, spec.key) == ("registry.households.v1", "household_id")
        fields = set(spec.data.model_fields)
        assert {"visit_id", "round", "visited_on", "worker", "members"} <= fields
        assert {"observations", "facts", "indicators"} <= fields
        assert "notes" not in fields


class TestStage:
    async def test_builds_the_event_from_the_spec_and_stages_it(
        self, messaging_db: Database
    ) -> None:
        data = referral.BedHoldReleaseRequested(
            referral_id="r-1", shelter_id="s-1", reason="referral_cancelled"
        )
        cause = risk.FAMILY_FLAGGED.build(
            risk.FamilyFlagged(
                screening_id="sc-1",
                household_id="h-1",
                region="KG-C",
                district="KG-C-01",
                language="ky",
                children_ages=[3],
                rule_set_version="1",
                domains=[],
            ),
            correlation_id="sc-1",
        )
        async with messaging_db.sessionmaker() as session, session.begin():
            await session.execute(delete(OutboxMessage))
            event = outbox.stage(session, referral.BED_HOLD_RELEASE_REQUESTED, data, cause=cause)
        async with messaging_db.sessionmaker() as session:
            row = (await session.execute(select(OutboxMessage))).scalar_one()

        assert (row.topic, row.key, row.event_type) == (
            "referral.referrals.v1",
            "r-1",
            "kamkor.referral.bed_hold.release_requested.v1",
        )
        stored = CloudEvent.model_validate_json(row.payload)
        assert stored == event
        assert stored.subject == "referral/r-1"
        assert stored.partitionkey == "r-1"
        assert stored.source == "/kamkor/referral"
        assert stored.causationid == cause.id
        assert stored.correlationid == "sc-1"
        assert stored.data == {
            "referral_id": "r-1",
            "shelter_id": "s-1",
            "reason": "referral_cancelled",
        }
        assert cause.subject == "household/h-1" and cause.partitionkey == "h-1"

    def test_refuses_data_of_another_model(self) -> None:
        wrong = referral.BedHoldReleaseRequested(referral_id="r", shelter_id="s", reason="x")
        with pytest.raises(TypeError, match="ReferralChanged"):
            referral.REFERRAL_CREATED.build(wrong)  # type: ignore[arg-type]

    def test_parse_validates_with_the_model(self) -> None:
        event = shelter.HOLD_REJECTED.build(
            shelter.HoldRejected(referral_id="r", shelter_id="s", category="woman", reason="full")
        )
        parsed = shelter.HOLD_REJECTED.parse(event)
        assert parsed.reason == "full" and event.partitionkey == "s"
