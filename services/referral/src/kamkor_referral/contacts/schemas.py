"""What the registry answers about a household, and what a partner gets of it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class RegistryMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    person_id: str
    role: str
    family_name: str
    given_name: str
    patronymic: str | None = None


class RegistryHousehold(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    settlement: str
    address: str
    phone: str | None = None
    language: str
    members: list[RegistryMember]


class ContactPerson(BaseModel):
    """An adult of the household: whom to contact. Children's details are not shared."""

    person_id: str
    role: str
    family_name: str
    given_name: str
    patronymic: str | None


class SharingBasis(BaseModel):
    """The consent or legal basis on record that allows sharing."""

    consent_id: str
    scope: str
    legal_basis: str | None
    given_at: datetime
    expires_at: datetime | None


class FamilyContact(BaseModel):
    referral_id: str
    household_id: str
    settlement: str
    address: str
    phone: str | None
    language: str
    contacts: list[ContactPerson]
    basis: SharingBasis
