"""Keeping the availability read model from the shelters' capacity snapshots."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.schemas.shelter import CapacityChanged
from kamkor_referral.capacity import repository
from kamkor_referral.capacity.models import ShelterAvailability

log = logging.getLogger("kamkor.referral.capacity")


async def apply_snapshot(*, session: AsyncSession, snapshot: CapacityChanged) -> bool:
    """Replace a shelter's availability with a newer full snapshot; False if it was older."""
    as_of = _aware(snapshot.as_of)
    stored = await repository.for_shelter(session, snapshot.shelter_id)
    newest = max((row.as_of for row in stored), default=None)
    if newest is not None and as_of < newest:
        log.info(
            "ignored snapshot of shelter %s as of %s: %s is newer",
            snapshot.shelter_id,
            as_of,
            newest,
        )
        return False
    by_category = {row.category: row for row in stored}
    for capacity in snapshot.categories:
        row = by_category.pop(capacity.category, None)
        if row is None:
            row = ShelterAvailability(
                shelter_id=snapshot.shelter_id,
                category=capacity.category,
                organization_id=snapshot.organization_id,
                region=snapshot.region,
                district=snapshot.district,
                available=0,
                total=0,
                as_of=as_of,
            )
            repository.add(session, row)
        row.organization_id = snapshot.organization_id
        row.region = snapshot.region
        row.district = snapshot.district
        row.available = max(capacity.available, 0)
        row.total = capacity.total
        row.as_of = as_of
        row.updated_at = _aware(snapshot.updated_at) if snapshot.updated_at else None
        row.stale = bool(snapshot.stale)
    # A full snapshot: a category it no longer lists has no beds any more.
    for gone in by_category.values():
        await repository.delete(session, gone)
    await session.flush()
    return True


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
