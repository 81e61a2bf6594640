"""What the partner directory API accepts and answers, and the service taxonomy."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.inputs import NoteText, PlainText
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
OrganizationType = Literal["ngo", "crisis_centre", "legal_aid", "shelter_operator", "state_office"]
AreaKind = Literal["region", "district", "country"]
ServiceStatus = Literal["active", "inactive"]
Language = Literal["ky", "ru", "en"]
Sex = Literal["female", "male"]
# As a service states it: one word, or the list of sexes it serves (both = any).
SexEligibilityIn = (
    Literal["any", "female", "male"] | Annotated[list[Sex], Field(min_length=1, max_length=2)]
)
SexEligibility = Literal["any", "female", "male"]

Age = Annotated[int, Field(ge=0, le=120)]
Name = Annotated[PlainText, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Website = Annotated[str, Field(max_length=300, pattern=r"^https?://[^\s]+$")]
Description = Annotated[NoteText, Field(max_length=4000)]
Contact = Annotated[PlainText, Field(max_length=300)]
Languages = Annotated[list[Language], Field(max_length=3)]


class ServiceAreaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: AreaKind
    code: Annotated[PlainText, Field(min_length=1, max_length=16)]


class OrganizationCreate(BaseModel):
    # Unknown fields are refused rather than dropped: nothing an admin typed is lost unseen.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    type: OrganizationType
    languages: Annotated[list[Language], Field(min_length=1, max_length=3)]
    contact: Contact | None = None
    description: Description | None = None
    email: Email | None = None
    website: Website | None = None
    active: bool = True


class OrganizationUpdate(BaseModel):
    """Only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    type: OrganizationType | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=3)] | None = None
    contact: Contact | None = None
    description: Description | None = None
    email: Email | None = None
    website: Website | None = None
    active: bool | None = None


class PartnerServiceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_type: ServiceType
    name: Name
    status: ServiceStatus = "active"
    accepts_referrals: bool = True
    # Empty means "the organisation's languages".
    languages: Languages = Field(default_factory=list)
    min_age: Age | None = None
    max_age: Age | None = None
    sex_eligibility: SexEligibilityIn = "any"
    open_referral_limit: Annotated[int, Field(ge=0, le=100_000)] | None = None
    description: Description | None = None
    areas: Annotated[list[ServiceAreaIn], Field(min_length=1, max_length=100)]


class PartnerServiceUpdate(BaseModel):
    """Only the fields sent are changed; `areas`, when sent, replaces them all."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    service_type: ServiceType | None = None
    name: Name | None = None
    status: ServiceStatus | None = None
    accepts_referrals: bool | None = None
    languages: Languages | None = None
    min_age: Age | None = None
    max_age: Age | None = None
    sex_eligibility: SexEligibilityIn | None = None
    open_referral_limit: Annotated[int, Field(ge=0, le=100_000)] | None = None
    description: Description | None = None
    areas: Annotated[list[ServiceAreaIn], Field(min_length=1, max_length=100)] | None = None


class ServiceAreaRead(BaseModel):
    kind: AreaKind
    code: str


class PartnerServiceRead(BaseModel):
    id: str
    organization_id: str
    service_type: str
    name: str
    status: ServiceStatus
    accepts_referrals: bool
    languages: list[str]
    min_age: int | None
    max_age: int | None
    sex_eligibility: SexEligibility
    open_referral_limit: int | None
    description: str | None
    version: int
    areas: list[ServiceAreaRead]


class OrganizationRead(BaseModel):
    id: str
    name: str
    type: str
    languages: list[str]
    contact: str | None
    description: str | None
    email: str | None
    website: str | None
    active: bool
    version: int
    services: list[PartnerServiceRead]


OrganizationList = Page[OrganizationRead]
