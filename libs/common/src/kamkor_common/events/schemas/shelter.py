"""Events published by the shelter service on `shelter.capacity.v1`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.events.spec import D, EventSpec
from kamkor_common.events.topics import SHELTER_CAPACITY

SOURCE = "/kamkor/shelter"


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


def _spec(type: str, data: type[D], summary: str) -> EventSpec[D]:
    return EventSpec(
        type=type,
        topic=SHELTER_CAPACITY,
        data=data,
        source=SOURCE,
        key="shelter_id",
        subject="shelter",
        summary=summary,
    )


CAPACITY_CHANGED: EventSpec[CapacityChanged] = _spec(
    "kamkor.shelter.capacity.changed.v1",
    CapacityChanged,
    "A full snapshot of one shelter's availability.",
)
HOLD_PLACED: EventSpec[HoldPlaced] = _spec(
    "kamkor.shelter.hold.placed.v1", HoldPlaced, "Beds are held for a referral until expires_at."
)
HOLD_REJECTED: EventSpec[HoldRejected] = _spec(
    "kamkor.shelter.hold.rejected.v1", HoldRejected, "The shelter could not hold a bed."
)
HOLD_RELEASED: EventSpec[HoldReleased] = _spec(
    "kamkor.shelter.hold.released.v1", HoldReleased, "A held bed was let go on request."
)
HOLD_EXPIRED: EventSpec[HoldReleased] = _spec(
    "kamkor.shelter.hold.expired.v1", HoldReleased, "A held bed was let go: its time ran out."
)
HOLD_CONFIRMED: EventSpec[HoldConfirmed] = _spec(
    "kamkor.shelter.hold.confirmed.v1",
    HoldConfirmed,
    "The family arrived: the held beds are occupied now.",
)
