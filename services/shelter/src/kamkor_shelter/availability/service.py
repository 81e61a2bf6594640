"""Availability by region: sums of every shelter's beds, details of public ones only."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_shelter.availability.schemas import (
    CategoryAvailability,
    RegionAvailability,
    ShelterAvailability,
)
from kamkor_shelter.shelters import service as shelters_service
from kamkor_shelter.shelters.schemas import CATEGORIES


async def by_region(
    *, session: AsyncSession, region: str, stale_after: timedelta
) -> RegionAvailability:
    """Total and available beds per category in the region, stale shelters included.

    A shelter with a confidential address adds to the sums but is never listed: its
    name or district could lead someone to the families it hides.
    """
    now = utcnow()
    shelters = await shelters_service.in_region(session=session, region=region)
    categories = await shelters_service.categories_of(session, [s.id for s in shelters])
    sums = {category: [0, 0] for category in CATEGORIES}
    listed = []
    stale_count = 0
    for shelter in shelters:
        stale = shelters_service.is_stale(shelter, stale_after=stale_after, now=now)
        stale_count += stale
        own = [
            CategoryAvailability(category=c.category, total=c.total, available=c.available)
            for c in categories[shelter.id]
        ]
        for counts in own:
            sums[counts.category][0] += counts.total
            sums[counts.category][1] += counts.available
        if not shelter.confidential_address:
            listed.append(
                ShelterAvailability(
                    shelter_id=shelter.id,
                    name=shelter.name,
                    district=shelter.district,
                    stale=stale,
                    updated_at=shelter.updated_at,
                    categories=own,
                )
            )
    return RegionAvailability(
        region=region,
        categories=[
            CategoryAvailability(category=category, total=total, available=available)
            for category, (total, available) in sums.items()
        ],
        shelters=listed,
        stale_shelters=stale_count,
        as_of=now,
    )
