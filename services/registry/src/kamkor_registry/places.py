"""Regions and districts a record may be in, and the places a principal may work in."""

from __future__ import annotations

from kamkor_common.auth import PlaceScope
from kamkor_common.errors import Forbidden, Unprocessable
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, REGIONS_BY_CODE


class UnknownLocation(Unprocessable):
    code = "unknown_location"
    title = "Unknown region or district"


class RegionNotAllowed(Forbidden):
    code = "region_not_allowed"
    title = "Region not allowed"


def check_in_scope(scope: PlaceScope, region: str, district: str) -> None:
    if scope.allows(region, district):
        return
    if region != scope.region:
        raise RegionNotAllowed(f"you may work only in region {scope.region}")
    raise RegionNotAllowed(
        f"district {district} is not one of your districts ({', '.join(scope.districts)})"
    )


def check_location(region: str | None, district: str | None) -> None:
    if region is not None and region not in REGIONS_BY_CODE:
        raise UnknownLocation(
            f"unknown region {region!r}",
            field="region",
            errors=[{"field": "region", "message": f"unknown region {region!r}"}],
        )
    if district is None:
        return
    known = DISTRICTS_BY_CODE.get(district)
    if known is None:
        message = f"unknown district {district!r}"
    elif region is not None and known.region != region:
        message = f"district {district} lies in region {known.region}, not {region}"
    else:
        return
    raise UnknownLocation(
        message, field="district", errors=[{"field": "district", "message": message}]
    )
