"""What the person search answers."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from kamkor_common.pagination import Page
from kamkor_registry.households.schemas import Sex


class PersonSearchItem(BaseModel):
    person_id: str
    family_name: str
    given_name: str
    patronymic: str | None
    sex: Sex
    birth_date: date
    region: str
    district: str
    household_id: str = Field(description="The household the person lives in now.")
    score: float = Field(ge=0, le=1, description="How well the name matches, 1 at best.")


class PersonSearchList(Page[PersonSearchItem]):
    pass
