"""What the partner directory API answers, and the service taxonomy."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from kamkor_common.pagination import Page

# DESIGN §6: the types of help a partner can offer.
ServiceType = Literal[
    "temporary_shelter",
    "crisis_centre",
    "psychological_support",
    "legal_aid",
    "social_benefits",
    "employment_support",
    "medical_care",
    "child_protection",
    "home_care_support",
]
AreaKind = Literal["region", "district", "country"]


class ServiceAreaRead(BaseModel):
    kind: AreaKind
    code: str


class PartnerServiceRead(BaseModel):
    id: str
    service_type: str
    name: str
    status: Literal["active", "inactive"]
    accepts_referrals: bool
    languages: list[str]
    min_age: int | None
    max_age: int | None
    open_referral_limit: int | None
    areas: list[ServiceAreaRead]


class OrganizationRead(BaseModel):
    id: str
    name: str
    type: str
    languages: list[str]
    contact: str | None
    active: bool
    services: list[PartnerServiceRead]


OrganizationList = Page[OrganizationRead]
