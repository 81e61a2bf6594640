"""Request and response models of stays."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.pagination import Page
from kamkor_shelter.stays.models import StayStatus

# A family or a mother with her children; never a whole shelter in one stay.
MAX_BEDS_PER_STAY = 20


class StayCreate(BaseModel):
    """A family that arrived without a held bed (a walk-in) and the beds it takes."""

    model_config = ConfigDict(extra="forbid")

    category: BedCategory
    beds: int = Field(default=1, ge=1, le=MAX_BEDS_PER_STAY)


class StayRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    shelter_id: str
    category: BedCategory
    beds: int
    status: StayStatus
    hold_id: str | None
    referral_id: str | None
    arrived_at: datetime
    departed_at: datetime | None


class StayList(Page[StayRead]):
    pass
