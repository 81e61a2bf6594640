"""Regions and districts from the static reference data (ISO 3166-2:KG)."""

from __future__ import annotations

from kamkor_common.errors import NotFound
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import REGIONS, REGIONS_BY_CODE, LocalizedName, Region
from kamkor_registry.regions.schemas import (
    DistrictRead,
    LocalizedNameRead,
    RegionList,
    RegionRead,
)


class RegionNotFound(NotFound):
    code = "region_not_found"
    title = "Region not found"


def _name(name: LocalizedName) -> LocalizedNameRead:
    return LocalizedNameRead(ky=name.ky, ru=name.ru, en=name.en)


def _to_read(region: Region) -> RegionRead:
    return RegionRead(
        code=region.code,
        name=_name(region.name),
        districts=[DistrictRead(code=d.code, name=_name(d.name)) for d in region.districts],
    )


def list_regions(*, page: PageParams) -> RegionList:
    """A page of the regions, each with all its districts."""
    chosen = REGIONS[page.offset : page.offset + page.limit]
    return RegionList(
        items=[_to_read(region) for region in chosen],
        total=len(REGIONS),
        limit=page.limit,
        offset=page.offset,
    )


def get_region(*, code: str) -> RegionRead:
    """One region with its districts."""
    region = REGIONS_BY_CODE.get(code)
    if region is None:
        raise RegionNotFound(f"no region {code}")
    return _to_read(region)
