"""Request and response models of shelters and their bed categories."""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kamkor_common.events.schemas.referral import BedCategory
from kamkor_common.inputs import PlainText
from kamkor_common.pagination import Page
from kamkor_common.reference.regions import is_valid_location

# The order categories are shown and published in.
CATEGORIES: tuple[BedCategory, ...] = get_args(BedCategory)
# Far above the largest shelter in the country, far below what a typo would make of it.
MAX_BEDS = 10_000


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
    # None where the address is confidential and the reader is not the operator's staff.
    address: str | None
    updated_at: datetime
    stale: bool
    version: int
    categories: list[CategoryRead]


class ShelterList(Page[ShelterRead]):
    pass


class BedCounts(BaseModel):
    """Beds of one category: how many there are and how many cannot be used now."""

    model_config = ConfigDict(extra="forbid")

    total: int = Field(ge=0, le=MAX_BEDS)
    out_of_service: int = Field(default=0, ge=0, le=MAX_BEDS)

    @model_validator(mode="after")
    def _fits(self) -> BedCounts:
        if self.out_of_service > self.total:
            raise ValueError(
                f"out of service ({self.out_of_service}) cannot exceed the total ({self.total})"
            )
        return self


def beds_in(value: object) -> object:
    """Bed counts as sent; a bare number is a total: `{"family": 6}` is `{"total": 6}`."""
    if not isinstance(value, dict):
        return value
    return {
        category: {"total": counts} if type(counts) is int else counts
        for category, counts in value.items()
    }


class ShelterCreate(BaseModel):
    """A new shelter with the beds of each category it offers."""

    model_config = ConfigDict(extra="forbid")

    id: PlainText | None = Field(default=None, min_length=1, max_length=36)
    organization_id: PlainText = Field(min_length=1, max_length=36)
    name: PlainText = Field(min_length=1, max_length=200)
    region: PlainText = Field(max_length=16)
    district: PlainText = Field(max_length=16)
    confidential_address: bool = False
    address: PlainText | None = Field(default=None, min_length=1, max_length=500)
    beds: dict[BedCategory, BedCounts] = {}

    _beds = field_validator("beds", mode="before")(beds_in)

    @model_validator(mode="after")
    def _check_place(self) -> ShelterCreate:
        if not is_valid_location(self.region, self.district):
            raise ValueError(f"district {self.district} is not in region {self.region}")
        return self


class ShelterUpdate(BaseModel):
    """Changes to a shelter; a field left out keeps its value, a category left out too."""

    model_config = ConfigDict(extra="forbid")

    organization_id: PlainText | None = Field(default=None, min_length=1, max_length=36)
    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    region: PlainText | None = Field(default=None, max_length=16)
    district: PlainText | None = Field(default=None, max_length=16)
    confidential_address: bool | None = None
    address: PlainText | None = Field(default=None, min_length=1, max_length=500)
    beds: dict[BedCategory, BedCounts] | None = None

    _beds = field_validator("beds", mode="before")(beds_in)

    @field_validator(
        "organization_id", "name", "region", "district", "confidential_address", mode="before"
    )
    @classmethod
    def _not_null(cls, value: object) -> object:
        # None only stands for "left out"; only the address may be cleared with null.
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value


class CategoryUpdate(BaseModel):
    """New counts of one category; a field left out keeps its value (0 for a new category).

    Occupied beds are not set here: they are the stays (arrivals and departures).
    """

    model_config = ConfigDict(extra="forbid")

    total: int | None = Field(default=None, ge=0, le=MAX_BEDS)
    out_of_service: int | None = Field(default=None, ge=0, le=MAX_BEDS)

    @field_validator("total", "out_of_service", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # None only stands for "left out"; a count sent as null has no meaning to apply.
        if value is None:
            raise ValueError("a count may be left out but not set to null")
        return value
