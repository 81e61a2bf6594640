"""Events published by the registry on `registry.households.v1`. No names, no addresses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from kamkor_common.events.spec import D, EventSpec
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS

SOURCE = "/kamkor/registry"

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


class ConsentChanged(BaseModel):
    """A consent on record (consent recorded) or taken back (consent withdrawn).

    `scope` says what it allows (e.g. `contact_sharing`); `legal_basis` is set when the
    sharing rests on a law rather than on the family's consent.
    """

    consent_id: str
    household_id: str
    person_id: str | None = None
    scope: str
    legal_basis: str | None = None
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn_at: datetime | None = None


def _spec(type: str, data: type[D], summary: str) -> EventSpec[D]:
    return EventSpec(
        type=type,
        topic=REGISTRY_HOUSEHOLDS,
        data=data,
        source=SOURCE,
        key="household_id",
        subject="household",
        summary=summary,
    )


HOUSEHOLD_REGISTERED: EventSpec[HouseholdRegistered] = _spec(
    "kamkor.registry.household.registered.v1",
    HouseholdRegistered,
    "A household and its members were registered.",
)
CONSENT_RECORDED: EventSpec[ConsentChanged] = _spec(
    "kamkor.registry.consent.recorded.v1",
    ConsentChanged,
    "A consent (or a legal basis) to share the family's details was recorded.",
)
CONSENT_WITHDRAWN: EventSpec[ConsentChanged] = _spec(
    "kamkor.registry.consent.withdrawn.v1",
    ConsentChanged,
    "A consent was withdrawn.",
)
