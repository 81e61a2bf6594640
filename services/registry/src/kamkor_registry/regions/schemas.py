"""Regions and districts as the API shows them."""

from __future__ import annotations

from pydantic import BaseModel

from kamkor_common.pagination import Page


class LocalizedNameRead(BaseModel):
    ky: str
    ru: str
    en: str


class DistrictRead(BaseModel):
    code: str
    name: LocalizedNameRead


class RegionRead(BaseModel):
    code: str
    name: LocalizedNameRead
    districts: list[DistrictRead]


class RegionList(Page[RegionRead]):
    pass
