"""Household facts as the risk service keeps them, and as the registry answers them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kamkor_common.events.schemas.registry import MemberRole
from kamkor_common.events.schemas.risk import Sex

Language = Literal["ky", "ru", "en"]


class HouseholdFacts(BaseModel):
    household_id: str
    region: str
    district: str
    language: Language
    children_birth_dates: list[date]
    member_sexes: list[Sex] | None = None


class RegistryMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: MemberRole
    birth_date: date
    sex: Sex | None = None
    until: date | None = None


class RegistryHousehold(BaseModel):
    """The part of the registry's household record that the risk service reads."""

    model_config = ConfigDict(extra="ignore")

    id: str
    region: str
    district: str
    language: Language
    members: list[RegistryMember]
