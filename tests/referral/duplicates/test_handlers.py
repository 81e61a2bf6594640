"""A household the registry merged as a duplicate: its referrals and consents follow."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.referral import REFERRAL_CANCELLED
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_MERGED,
    HouseholdMerged,
    MemberSnapshot,
)
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS
from kamkor_common.messaging.outbox import OutboxMessage
from kamkor_referral.consents.models import ConsentRecord
from kamkor_referral.duplicates import service
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.states import ReferralStatus


def _referral(household_id: str, service_type: str, status: ReferralStatus) -> Referral:
    return Referral(
        household_id=household_id,
        service_type=service_type,
        priority="urgent",
        status=status,
        region="KG-J",
        district="KG-J-06",
        language="ky",
        children_ages=[8],
    )


def _merged(kept_id: str, merged_id: str) -> CloudEvent:
    return HOUSEHOLD_MERGED.build(
        HouseholdMerged(
            household_id=kept_id,
            merged_household_id=merged_id,
            version=3,
            region="KG-J",
            district="KG-J-06",
            language="ky",
            members=[
                MemberSnapshot(
                    person_id=str(uuid.uuid4()),
                    role="child",
                    sex="female",
                    birth_date=date(2018, 5, 2),
                    since=date(2026, 1, 10),
                )
            ],
        )
    )


async def _households(referral: Any) -> tuple[str, str, dict[str, str]]:
    """A kept household with an active financial referral; a duplicate with an active
    financial one, an active psychosocial one, a completed one and a consent."""
    kept_id, merged_id = str(uuid.uuid4()), str(uuid.uuid4())
    rows = {
        "kept_financial": _referral(kept_id, "financial_aid", ReferralStatus.UNASSIGNED),
        "merged_financial": _referral(merged_id, "financial_aid", ReferralStatus.UNASSIGNED),
        "merged_psychosocial": _referral(merged_id, "psychosocial", ReferralStatus.UNASSIGNED),
        "merged_done": _referral(merged_id, "legal_aid", ReferralStatus.COMPLETED),
    }
    async with referral.database.sessionmaker() as session, session.begin():
        session.add_all(rows.values())
        session.add(
            ConsentRecord(
                consent_id=str(uuid.uuid4()),
                household_id=merged_id,
                scope="contact_sharing",
                given_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
    return kept_id, merged_id, {name: row.id for name, row in rows.items()}


async def _state(referral: Any, ids: dict[str, str]) -> dict[str, tuple[str, str]]:
    async with referral.database.sessionmaker() as session:
        rows = await session.scalars(select(Referral).where(col(Referral.id).in_(ids.values())))
        by_id = {r.id: (r.household_id, r.status) for r in rows.all()}
    return {name: by_id[referral_id] for name, referral_id in ids.items()}


class TestOnHouseholdMerged:
    async def test_referrals_move_and_a_second_one_for_a_need_is_cancelled(
        self, referral: Any
    ) -> None:
        kept_id, merged_id, ids = await _households(referral)
        event = _merged(kept_id, merged_id)

        await referral.send(REGISTRY_HOUSEHOLDS, event)
        await referral.wait_handled(event)

        assert await _state(referral, ids) == {
            "kept_financial": (kept_id, "unassigned"),
            "merged_financial": (kept_id, "cancelled"),
            "merged_psychosocial": (kept_id, "unassigned"),
            "merged_done": (kept_id, "completed"),
        }
        async with referral.database.sessionmaker() as session:
            cancelled = await session.get(Referral, ids["merged_financial"])
            assert cancelled is not None
            assert cancelled.history[-1]["reason"] == "duplicate_household"
            consents = await session.scalars(
                select(ConsentRecord).where(col(ConsentRecord.household_id) == merged_id)
            )
            assert consents.all() == []
            moved = await session.scalars(
                select(ConsentRecord).where(col(ConsentRecord.household_id) == kept_id)
            )
            assert len(moved.all()) == 1
            staged = await session.scalars(
                select(OutboxMessage).where(
                    col(OutboxMessage.key) == ids["merged_financial"],
                    col(OutboxMessage.event_type) == REFERRAL_CANCELLED.type,
                )
            )
            (message,) = staged.all()
        data = CloudEvent.model_validate_json(message.payload).data
        assert data["reason"] == "duplicate_household"

    async def test_the_same_merge_twice_changes_nothing_more(self, referral: Any) -> None:
        kept_id, merged_id, ids = await _households(referral)
        merged = HOUSEHOLD_MERGED.parse(_merged(kept_id, merged_id))

        async with referral.database.sessionmaker() as session, session.begin():
            await service.follow_merge(session=session, merged=merged)
        once = await _state(referral, ids)
        async with referral.database.sessionmaker() as session, session.begin():
            await service.follow_merge(session=session, merged=merged)

        assert await _state(referral, ids) == once
        assert [status for _, status in once.values()].count("cancelled") == 1
