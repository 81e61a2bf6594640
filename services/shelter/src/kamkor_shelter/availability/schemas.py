"""Response models of availability by region."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kamkor_common.events.schemas.referral import BedCategory


class CategoryAvailability(BaseModel):
    category: BedCategory
    total: int
    available: int


class ShelterAvailability(BaseModel):
    """A shelter whose address is public; confidential ones are only in the region's sums."""

    shelter_id: str
    name: str
    district: str
    stale: bool
    updated_at: datetime
    categories: list[CategoryAvailability]


class RegionAvailability(BaseModel):
    region: str
    categories: list[CategoryAvailability]
    shelters: list[ShelterAvailability]
    # Shelters counted in the sums whose counts are older than the stale threshold.
    stale_shelters: int
    as_of: datetime
