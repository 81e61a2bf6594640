"""What the memberships API accepts."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.events.schemas.registry import MemberRole
from kamkor_common.inputs import PlainText
from kamkor_registry.households.schemas import Sex


class MemberAdd(BaseModel):
    """A registered person (`person_id`) or a new one (names, sex, birth date) joins."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: MemberRole
    person_id: str | None = Field(default=None, max_length=36)
    family_name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    given_name: PlainText | None = Field(default=None, min_length=1, max_length=100)
    patronymic: PlainText | None = Field(default=None, max_length=100)
    sex: Sex | None = None
    birth_date: date | None = None
    pin: PlainText | None = Field(default=None, max_length=40)
    since: date | None = Field(default=None, description="Defaults to today.")
    caregiver_person_id: str | None = Field(
        default=None, max_length=36, description="For a child: the member who cares for them."
    )


class MembershipUpdate(BaseModel):
    """Only the fields sent change; `until` ends the stay, `caregiver_person_id` sets who
    cares for a child now (`null`: nobody in this household)."""

    model_config = ConfigDict(extra="forbid")

    role: MemberRole | None = None
    until: date | None = None
    caregiver_person_id: str | None = Field(default=None, max_length=36)


class ChildMove(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_household_id: str = Field(max_length=36)
    to_household_id: str = Field(max_length=36)
    moved_on: date | None = Field(default=None, description="Defaults to today.")
    caregiver_person_id: str | None = Field(
        default=None, max_length=36, description="Who cares for the child in the new household."
    )
