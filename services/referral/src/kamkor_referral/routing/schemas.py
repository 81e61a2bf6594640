"""The facts routing decides on and the decision it makes; plain values, no database."""

from __future__ import annotations

from dataclasses import dataclass, field

# How specific an area is: a district partner knows the family's place best.
AREA_RANK: dict[str, int] = {"district": 3, "region": 2, "country": 1}


@dataclass(frozen=True, slots=True)
class Area:
    kind: str  # region | district | country
    code: str

    def describe(self) -> str:
        """The area as reasons name it, e.g. `KG-J (region)`."""
        return f"{self.code} ({self.kind})"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One partner service of the needed type, with what eligibility looks at."""

    organization_id: str
    organization_name: str
    service_id: str
    service_type: str
    areas: tuple[Area, ...]
    languages: tuple[str, ...]
    organization_active: bool = True
    status: str = "active"
    accepts_referrals: bool = True
    min_age: int | None = None
    max_age: int | None = None
    # The sexes the service serves; empty means any.
    sex_eligibility: tuple[str, ...] = ()
    open_referral_limit: int | None = None
    open_referrals: int = 0  # its open referrals (requested, accepted, in progress, on hold)


@dataclass(frozen=True, slots=True)
class ShelterBeds:
    """Free beds of the needed category at one shelter, from the capacity read model."""

    shelter_id: str
    organization_id: str
    region: str
    district: str
    category: str
    available: int  # free beds less the holds this service has asked for and not yet heard of
    awaiting: int = 0  # of the snapshot's free beds, those asked for by other referrals
    stale: bool = False  # its staff have not confirmed the counts for too long (shelter's word)
    updated_hours_ago: int | None = None  # since staff last confirmed the counts, if known

    def staleness(self) -> str:
        """How old a stale shelter's counts are, in the words reasons use; "" when fresh."""
        if not self.stale:
            return ""
        if self.updated_hours_ago is None:
            return f"shelter {self.shelter_id} is stale"
        return f"shelter {self.shelter_id} counts last updated {self.updated_hours_ago} h ago"


@dataclass(frozen=True, slots=True)
class RoutingRequest:
    """What is needed, where, for whom, and what this referral has already been through."""

    service_type: str
    region: str
    district: str
    language: str
    referral_id: str | None = None  # the referral being routed, left out of every count
    children_ages: tuple[int, ...] = ()
    # The household members' sexes; None when the flag did not tell them (older events).
    member_sexes: frozenset[str] | None = None
    shelter_category: str | None = None  # set for shelter service types
    tried_service_ids: frozenset[str] = frozenset()
    excluded_shelter_ids: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Choice:
    candidate: Candidate
    area: Area
    shelter: ShelterBeds | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The chosen partner (or none) and why, in words a social worker can read."""

    choice: Choice | None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    summary: str = ""
