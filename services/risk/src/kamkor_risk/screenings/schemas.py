"""What the screening and flag endpoints accept and answer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.risk import Domain, Severity
from kamkor_common.pagination import Page
from kamkor_risk.rules.schemas import Reason
from kamkor_risk.screenings.models import ScreeningSource

FlagStatus = Literal["open", "resolved"]
FlagChangeKind = Literal["opened", "updated", "unchanged", "resolved"]


class ScreeningCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    household_id: uuid.UUID
    # Checked against the indicator vocabulary by the service, so that every bad answer
    # is named in one `invalid_answers` problem.
    answers: dict[str, Any] = Field(max_length=200)


class DomainAssessmentRead(BaseModel):
    domain: Domain
    score: int
    severity: Severity
    reasons: list[Reason]


class ScreeningRead(BaseModel):
    id: str
    household_id: str
    rule_set_version: str
    answers: dict[str, Any]
    created_at: datetime
    created_by: str
    source: ScreeningSource = Field(
        default=ScreeningSource.screening,
        description="`screening` when asked through this API, `visit` when a home visit's "
        "observations were screened.",
    )
    visit_id: str | None = Field(default=None, description="The registry's home visit, if any.")
    domains: list[DomainAssessmentRead]


class FlagRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    household_id: str
    domain: Domain
    severity: Severity
    status: FlagStatus
    rule_set_version: str
    opened_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    last_screening_id: str


class FlagChange(FlagRead):
    """A flag as a screening left it, and what the screening did to it."""

    change: FlagChangeKind
    previous_severity: Severity | None = None


class ScreeningCreated(ScreeningRead):
    flags: list[FlagChange]


class FlagList(Page[FlagRead]):
    pass
