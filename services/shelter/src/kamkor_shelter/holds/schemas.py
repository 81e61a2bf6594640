"""Response models of bed holds."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.pagination import Page
from kamkor_shelter.holds.models import HoldStatus


class HoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    referral_id: str
    shelter_id: str
    category: BedCategory
    beds: int
    status: HoldStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    reason: str | None
    # The stay a confirmed hold became; set in the answer to its confirmation.
    stay_id: str | None = None


class HoldList(Page[HoldRead]):
    pass
