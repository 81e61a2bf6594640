"""Open Referral HSDS 3.0 records as Kamkor exports and imports them, and the import report."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# Kamkor's own facts travel as HSDS attributes: a taxonomy term per fact, its `code` the
# value (or `value` for numbers and flags). Export and import read this one table.
ORGANIZATION_TYPE = "kamkor-organization-type"
ORGANIZATION_LANGUAGE = "kamkor-organization-language"
ORGANIZATION_ACTIVE = "kamkor-organization-active"
CONTACT = "kamkor-contact"
SERVICE_TYPE = "kamkor-service-type"
ACCEPTS_REFERRALS = "kamkor-accepts-referrals"
OPEN_REFERRAL_LIMIT = "kamkor-open-referral-limit"
SEX_ELIGIBILITY = "kamkor-sex-eligibility"


class HsdsRecord(BaseModel):
    # HSDS has many fields Kamkor does not keep (phones, locations, schedules...): they are
    # read past, not refused, so that any HSDS 3.0 directory can be offered.
    model_config = ConfigDict(extra="ignore")


class TaxonomyTerm(HsdsRecord):
    id: str
    code: str
    name: str
    description: str
    taxonomy: str


class Attribute(HsdsRecord):
    id: str
    link_id: str
    link_type: str
    link_entity: Literal["organization", "service"]
    taxonomy_term_id: str
    taxonomy_term: TaxonomyTerm
    value: str | None = None


class Language(HsdsRecord):
    id: str
    service_id: str
    name: str
    code: str


class ServiceArea(HsdsRecord):
    id: str
    service_id: str
    name: str
    extent: str  # the reference code: KG, a region (KG-J) or a district (KG-J-06)
    extent_type: Literal["text"] = "text"
    description: str | None = None


class Service(HsdsRecord):
    id: str = Field(min_length=1, max_length=36)
    organization_id: str | None = None
    name: str
    description: str | None = None
    status: Literal["active", "inactive", "defunct", "temporarily closed"]
    minimum_age: int | None = None
    maximum_age: int | None = None
    eligibility_description: str | None = None
    languages: list[Language] = Field(default_factory=list)
    service_areas: list[ServiceArea] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)


class Organization(HsdsRecord):
    id: str = Field(min_length=1, max_length=36)
    name: str
    description: str = ""
    email: str | None = None
    website: str | None = None
    services: list[Service] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)


class HsdsDirectory(BaseModel):
    """An HSDS 3.0 API page of organisations, each with its services nested.

    On import only `contents` is read, and each record is checked on its own: one bad
    record is reported, not the whole document refused.
    """

    total_items: int = 0
    total_pages: int = 1
    page_number: int = 1
    size: int = 0
    first_page: bool = True
    last_page: bool = True
    empty: bool = True
    contents: list[dict[str, Any]] = Field(max_length=5000)


class RecordProblem(BaseModel):
    field: str
    message: str


class RecordOutcome(BaseModel):
    entity: Literal["organization", "service"]
    id: str | None
    outcome: Literal["created", "updated", "unchanged", "rejected"]
    errors: list[RecordProblem] = Field(default_factory=list)


class ImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    records: list[RecordOutcome]
