"""What the audit API answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from kamkor_common.pagination import Page


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str
    household_id: str | None
    person_id: str | None
    purpose: str | None


class AuditEntryList(Page[AuditEntryRead]):
    pass
