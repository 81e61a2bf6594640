"""Events published by the shelter service on `shelter.capacity.v1`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kamkor_common.events.schemas.referral import BedCategory

SOURCE = "/kamkor/shelter"
CAPACITY_CHANGED = "kamkor.shelter.capacity.changed.v1"
HOLD_PLACED = "kamkor.shelter.hold.placed.v1"
HOLD_REJECTED = "kamkor.shelter.hold.rejected.v1"
HOLD_RELEASED = "kamkor.shelter.hold.released.v1"
HOLD_EXPIRED = "kamkor.shelter.hold.expired.v1"
HOLD_CONFIRMED = "kamkor.shelter.hold.confirmed.v1"


class CategoryCapacity(BaseModel):
    category: BedCategory
    total: int
    out_of_service: int
    occupied: int
    held: int
    available: int


class CapacityChanged(BaseModel):
    """A full snapshot of one shelter's availability."""

    shelter_id: str
    organization_id: str
    region: str
    district: str
    categories: list[CategoryCapacity]
    as_of: datetime
    # When staff last changed or confirmed the beds, and whether that is too long ago
    # (`KAMKOR_STALE_AFTER_HOURS`); absent in snapshots from before they were added.
    updated_at: datetime | None = None
    stale: bool | None = None


class HoldPlaced(BaseModel):
    hold_id: str
    referral_id: str
    shelter_id: str
    category: BedCategory
    expires_at: datetime


class HoldRejected(BaseModel):
    referral_id: str
    shelter_id: str
    category: BedCategory
    reason: str


class HoldReleased(BaseModel):
    """The bed is free again: released on request (hold released) or timed out (hold expired)."""

    hold_id: str
    referral_id: str
    shelter_id: str
    reason: str


class HoldConfirmed(BaseModel):
    """The family arrived: the held beds are occupied now."""

    hold_id: str
    referral_id: str
    shelter_id: str
    category: BedCategory
    beds: int
