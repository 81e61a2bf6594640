"""Events published by risk screening on `risk.flags.v1`: what routing needs, nothing more."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

SOURCE = "/kamkor/risk"
SCREENING_COMPLETED = "kamkor.risk.screening.completed.v1"
FAMILY_FLAGGED = "kamkor.risk.family.flagged.v1"
FLAG_UPDATED = "kamkor.risk.flag.updated.v1"
FLAG_RESOLVED = "kamkor.risk.flag.resolved.v1"

Domain = Literal[
    "financial", "housing", "psychosocial", "maternal_newborn", "child_protection", "caregiving"
]
Severity = Literal["none", "low", "medium", "high", "critical"]
Sex = Literal["female", "male"]


class DomainFinding(BaseModel):
    domain: Domain
    score: int
    severity: Severity
    reasons: list[str]
    flag_id: str | None = None


class ScreeningCompleted(BaseModel):
    screening_id: str
    household_id: str
    rule_set_version: str
    domains: list[DomainFinding]


class FamilyFlagged(BaseModel):
    """A household has at least one open flag of medium severity or above."""

    screening_id: str
    household_id: str
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    children_ages: list[int]
    rule_set_version: str
    domains: list[DomainFinding]
    # The sex of every current member, adults and children, in no particular order: what a
    # directory's sex eligibility is checked against. Absent (None) in events from before it
    # existed, and then routing excludes no service on sex.
    member_sexes: list[Sex] | None = None


class FlagChanged(BaseModel):
    """A flag's severity changed (flag updated) or it closed (flag resolved)."""

    flag_id: str
    household_id: str
    domain: Domain
    severity: Severity
    previous_severity: Severity | None
    screening_id: str
    rule_set_version: str
