"""What the consents API accepts and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.inputs import PlainText
from kamkor_common.pagination import Page
from kamkor_registry.consents.models import ConsentScope

# A coded legal basis, e.g. `child_protection_law`: a code, not prose, so receivers can match it.
LEGAL_BASIS_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"


class ConsentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scope: ConsentScope
    person_id: str | None = Field(
        default=None, max_length=36, description="The member of the household who gave it."
    )
    given_by_name: PlainText | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Who gave it, when they are not a registered member (e.g. a guardian).",
    )
    legal_basis: str | None = Field(
        default=None,
        pattern=LEGAL_BASIS_PATTERN,
        description="The law that allows the sharing without consent, e.g. `child_protection_law`.",
    )
    given_at: datetime | None = Field(default=None, description="Defaults to now.")
    expires_at: datetime | None = None


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    household_id: str
    person_id: str | None
    given_by_name: str | None
    scope: ConsentScope
    legal_basis: str | None
    given_at: datetime
    expires_at: datetime | None
    withdrawn_at: datetime | None
    recorded_by: str
    recorded_at: datetime
    withdrawn_by: str | None
    active: bool = Field(description="Given, not withdrawn and not expired, as of the answer.")


class ConsentList(Page[ConsentRead]):
    pass
