"""Request and response models of shelters and their bed categories."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.inputs import MAX_COUNT, Count, PlainText
from kamkor_common.pagination import Page
from kamkor_common.reference.regions import is_valid_location

# The order categories are shown and published in.
CATEGORIES: tuple[BedCategory, ...] = get_args(BedCategory)


class CategoryRead(BaseModel):
    category: BedCategory
    total: int
    out_of_service: int
    occupied: int
    held: int
    available: int


class ShelterRead(BaseModel):
    id: str
    organization_id: str
    name: str
    region: str
    district: str
    confidential_address: bool
    updated_at: datetime
    categories: list[CategoryRead]


class ShelterList(Page[ShelterRead]):
    pass


class ShelterCreate(BaseModel):
    """A new shelter with the total beds of each category it offers."""

    model_config = ConfigDict(extra="forbid")

    id: PlainText | None = Field(default=None, min_length=1, max_length=36)
    organization_id: PlainText = Field(min_length=1, max_length=36)
    name: PlainText = Field(min_length=1, max_length=200)
    region: PlainText = Field(max_length=16)
    district: PlainText = Field(max_length=16)
    confidential_address: bool = False
    beds: dict[BedCategory, Count] = {}

    @model_validator(mode="after")
    def _check(self) -> ShelterCreate:
        if not is_valid_location(self.region, self.district):
            raise ValueError(f"district {self.district} is not in region {self.region}")
        if any(total < 0 for total in self.beds.values()):
            raise ValueError("bed totals cannot be negative")
        return self


class CategoryUpdate(BaseModel):
    """New counts of one category; a field left out keeps its value (0 for a new category)."""

    model_config = ConfigDict(extra="forbid")

    # Bounded: far above any shelter, far below what the database's integers hold.
    total: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    out_of_service: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    occupied: int | None = Field(default=None, ge=0, le=MAX_COUNT)

    @field_validator("total", "out_of_service", "occupied", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # None only stands for "left out"; a count sent as null has no meaning to apply.
        if value is None:
            raise ValueError("a count may be left out but not set to null")
        return value
