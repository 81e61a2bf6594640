"""The availability read model follows each shelter's newest full snapshot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kamkor_common.events.schemas.shelter import CapacityChanged, CategoryCapacity
from kamkor_referral.capacity.service import apply_snapshot

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def snapshot(shelter_id: str, as_of: datetime, **available: int) -> CapacityChanged:
    return CapacityChanged(
        shelter_id=shelter_id,
        organization_id="org-1",
        region="KG-O",
        district="KG-O-02",
        categories=[
            CategoryCapacity(
                category=category,
                total=10,
                out_of_service=0,
                occupied=10 - free,
                held=0,
                available=free,
            )
            for category, free in available.items()
        ],
        as_of=as_of,
    )


async def apply(referral: Any, event: CapacityChanged) -> bool:
    async with referral.database.sessionmaker() as session, session.begin():
        applied: bool = await apply_snapshot(session=session, snapshot=event)
        return applied


async def stored(referral: Any, shelter_id: str) -> dict[str, int]:
    rows = await referral.availability()
    return {category: row.available for (sid, category), row in rows.items() if sid == shelter_id}


class TestApplySnapshot:
    async def test_a_first_snapshot_is_stored_per_category(self, referral: Any) -> None:
        shelter_id = str(uuid.uuid4())
        assert await apply(referral, snapshot(shelter_id, NOW, family=3, woman=0))
        assert await stored(referral, shelter_id) == {"family": 3, "woman": 0}

    async def test_a_newer_snapshot_replaces_the_whole_shelter(self, referral: Any) -> None:
        shelter_id = str(uuid.uuid4())
        await apply(referral, snapshot(shelter_id, NOW, family=3, woman=2))
        assert await apply(referral, snapshot(shelter_id, NOW + timedelta(minutes=1), family=1))
        # The category the snapshot no longer lists has no beds any more.
        assert await stored(referral, shelter_id) == {"family": 1}

    async def test_an_older_snapshot_is_ignored(self, referral: Any) -> None:
        shelter_id = str(uuid.uuid4())
        await apply(referral, snapshot(shelter_id, NOW, family=3))
        assert not await apply(referral, snapshot(shelter_id, NOW - timedelta(seconds=1), family=9))
        assert await stored(referral, shelter_id) == {"family": 3}


class TestStaleness:
    async def test_the_shelter_s_last_update_and_stale_mark_are_kept(self, referral: Any) -> None:
        shelter_id = str(uuid.uuid4())
        confirmed = NOW - timedelta(hours=14)
        event = snapshot(shelter_id, NOW, family=2).model_copy(
            update={"updated_at": confirmed, "stale": True}
        )
        assert await apply(referral, event)
        [row] = [r for (sid, _), r in (await referral.availability()).items() if sid == shelter_id]
        assert (row.updated_at, row.stale) == (confirmed, True)

        fresh = snapshot(shelter_id, NOW + timedelta(minutes=1), family=2).model_copy(
            update={"updated_at": NOW + timedelta(minutes=1), "stale": False}
        )
        assert await apply(referral, fresh)
        [row] = [r for (sid, _), r in (await referral.availability()).items() if sid == shelter_id]
        assert (row.updated_at, row.stale) == (NOW + timedelta(minutes=1), False)

    async def test_a_snapshot_without_them_reads_as_unknown_not_stale(self, referral: Any) -> None:
        shelter_id = str(uuid.uuid4())
        assert await apply(referral, snapshot(shelter_id, NOW, family=1))
        [row] = [r for (sid, _), r in (await referral.availability()).items() if sid == shelter_id]
        assert (row.updated_at, row.stale) == (None, False)
