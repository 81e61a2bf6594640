"""Events published by the registry on `registry.households.v1`. No names, no addresses."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel

SOURCE = "/kamkor/registry"
HOUSEHOLD_REGISTERED = "kamkor.registry.household.registered.v1"

MemberRole = Literal["child", "parent", "caregiver", "grandparent", "other"]


class MemberFacts(BaseModel):
    person_id: str
    role: MemberRole
    sex: Literal["female", "male"]
    birth_date: date


class HouseholdRegistered(BaseModel):
    household_id: str
    region: str
    district: str
    language: Literal["ky", "ru", "en"]
    members: list[MemberFacts]
