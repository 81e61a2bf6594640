"""Routing: which partner gets a referral, and why. `decide` is pure; `plan` gathers facts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.reference.partners import COUNTRY
from kamkor_referral.capacity import repository as capacity_repository
from kamkor_referral.routing import repository
from kamkor_referral.routing.schemas import (
    AREA_RANK,
    Area,
    Candidate,
    Choice,
    Decision,
    RoutingRequest,
    ShelterBeds,
)


def covering_area(areas: Iterable[Area], request: RoutingRequest) -> Area | None:
    """The most specific of a service's areas that covers the family's place, if any."""
    covering = [
        area
        for area in areas
        if (area.kind == "district" and area.code == request.district)
        or (area.kind == "region" and area.code == request.region)
        or (area.kind == "country" and area.code == COUNTRY)
    ]
    return max(covering, key=lambda area: AREA_RANK[area.kind], default=None)


def ineligibility(candidate: Candidate, request: RoutingRequest) -> str | None:
    """Why a covering service cannot take this referral, or None when it can."""
    if not candidate.organization_active:
        return "the organisation is inactive"
    if candidate.status != "active":
        return "the service is inactive"
    if not candidate.accepts_referrals:
        return "the service does not accept referrals"
    if request.language not in candidate.languages:
        return f"does not work in {request.language} ({', '.join(candidate.languages)})"
    if not _ages_fit(candidate, request.children_ages):
        return (
            f"serves ages {_age_range(candidate)}, the children are "
            f"{', '.join(str(a) for a in request.children_ages)}"
        )
    if not _sexes_fit(candidate, request.member_sexes):
        return (
            f"serves {' or '.join(candidate.sex_eligibility)} clients only, "
            "and no member of the household is"
        )
    if candidate.service_id in request.tried_service_ids:
        return "already tried for this referral"
    limit = candidate.open_referral_limit
    if limit is not None and candidate.open_referrals >= limit:
        return f"at its open-referral limit ({candidate.open_referrals} of {limit})"
    return None


def pick_shelter(
    candidate: Candidate, shelters: Iterable[ShelterBeds], request: RoutingRequest
) -> ShelterBeds | None:
    """The organisation's shelter with a free bed: in the family's region first, then any.

    A stale shelter may still be picked: the hold is placed against its real count, so
    an old count can cost a retry but never a second family in one bed. Among shelters
    equally near, one whose counts are fresh comes first.
    """
    usable = [
        shelter
        for shelter in shelters
        if shelter.organization_id == candidate.organization_id
        and shelter.category == request.shelter_category
        and shelter.available > 0
        and shelter.shelter_id not in request.excluded_shelter_ids
    ]
    return min(
        usable,
        key=lambda s: (s.region != request.region, s.stale, -s.available, s.shelter_id),
        default=None,
    )


def free_capacity(choice: Choice) -> float:
    """Free beds of the chosen shelter, or the room left under the open-referral limit."""
    if choice.shelter is not None:
        return choice.shelter.available
    limit = choice.candidate.open_referral_limit
    return math.inf if limit is None else limit - choice.candidate.open_referrals


def rank_key(choice: Choice, request: RoutingRequest) -> tuple[float, ...]:
    """Smaller is better: area specificity, a shelter near the family, free capacity, load."""
    near = choice.shelter is not None and choice.shelter.region == request.region
    return (
        -AREA_RANK[choice.area.kind],
        -int(near),
        -free_capacity(choice),
        choice.candidate.open_referrals,
    )


def decide(
    request: RoutingRequest,
    candidates: Sequence[Candidate],
    shelters: Sequence[ShelterBeds] = (),
) -> Decision:
    """Choose the best eligible partner service for the request, explaining every step."""
    skipped: list[str] = []
    outside: list[str] = []
    eligible: list[Choice] = []
    ordered = sorted(candidates, key=lambda c: (c.organization_name, c.service_id))
    for candidate in ordered:
        if candidate.service_type != request.service_type:
            continue
        area = covering_area(candidate.areas, request)
        if area is None:
            outside.append(candidate.organization_name)
            continue
        why_not = ineligibility(candidate, request)
        if why_not is not None:
            skipped.append(f"skipped {candidate.organization_name}: {why_not}")
            continue
        shelter = None
        if request.shelter_category is not None:
            shelter = pick_shelter(candidate, shelters, request)
            if shelter is None:
                why = f"no free {request.shelter_category} bed"
                stale = _stale_of(candidate, shelters, request)
                if stale:
                    why += f" ({stale})"
                skipped.append(f"skipped {candidate.organization_name}: {why}")
                continue
        eligible.append(Choice(candidate=candidate, area=area, shelter=shelter))

    if outside:
        skipped.append(f"not covering {request.district} ({request.region}): {', '.join(outside)}")
    if not eligible:
        why = (
            f"no eligible partner for {request.service_type} in "
            f"{request.district} ({request.region})"
        )
        return Decision(choice=None, reasons=(*skipped, why), summary=why)

    ranked = sorted(
        eligible,
        key=lambda c: (
            *rank_key(c, request),
            c.candidate.organization_name,
            c.candidate.service_id,
        ),
    )
    best = ranked[0]
    chosen = _chosen_reasons(best, request)
    others = [
        f"ranked below: {c.candidate.organization_name} "
        f"(covers {c.area.describe()}, {_capacity_words(c)}, "
        f"{c.candidate.open_referrals} open referrals)"
        for c in ranked[1:]
    ]
    return Decision(choice=best, reasons=(*chosen, *others, *skipped), summary="; ".join(chosen))


def _chosen_reasons(choice: Choice, request: RoutingRequest) -> list[str]:
    candidate = choice.candidate
    reasons = [
        f"service {candidate.service_type} of {candidate.organization_name} "
        f"covers {choice.area.describe()}"
    ]
    shelter = choice.shelter
    if shelter is not None:
        where = "in the family's region" if shelter.region == request.region else shelter.region
        line = (
            f"shelter {shelter.shelter_id} ({where}) has {shelter.available} "
            f"free {shelter.category} beds"
        )
        if shelter.awaiting:
            line += f" besides {shelter.awaiting} asked for by other referrals"
        if shelter.stale:
            line += f"; stale: {shelter.staleness()}"
        reasons.append(line)
    reasons.append(f"{candidate.open_referrals} open referrals at this service")
    return reasons


def _stale_of(
    candidate: Candidate, shelters: Iterable[ShelterBeds], request: RoutingRequest
) -> str:
    """The stale shelters of the organisation with beds of the category, in words."""
    return "; ".join(
        shelter.staleness()
        for shelter in shelters
        if shelter.organization_id == candidate.organization_id
        and shelter.category == request.shelter_category
        and shelter.stale
    )


def _capacity_words(choice: Choice) -> str:
    if choice.shelter is not None:
        words = f"{choice.shelter.available} free beds at shelter {choice.shelter.shelter_id}"
        return f"{words}, stale" if choice.shelter.stale else words
    capacity = free_capacity(choice)
    return "no referral limit" if math.isinf(capacity) else f"room for {int(capacity)} more"


def _ages_fit(candidate: Candidate, children_ages: Sequence[int]) -> bool:
    """Fits when any child is in the service's age range; unknown ages exclude nobody."""
    if candidate.min_age is None and candidate.max_age is None:
        return True
    if not children_ages:
        return True
    low = candidate.min_age if candidate.min_age is not None else 0
    high = candidate.max_age if candidate.max_age is not None else 200
    return any(low <= age <= high for age in children_ages)


def _sexes_fit(candidate: Candidate, member_sexes: frozenset[str] | None) -> bool:
    """Fits when some member of the household, adult or child, is of a sex the service serves.

    Unknown sexes exclude nobody (docs/decisions/0010-sex-eligibility.md).
    """
    if not candidate.sex_eligibility or member_sexes is None:
        return True
    return not member_sexes.isdisjoint(candidate.sex_eligibility)


def _age_range(candidate: Candidate) -> str:
    if candidate.min_age is not None and candidate.max_age is not None:
        return f"{candidate.min_age} to {candidate.max_age}"
    if candidate.min_age is not None:
        return f"{candidate.min_age} and older"
    return f"up to {candidate.max_age}"


async def plan(
    *,
    session: AsyncSession,
    request: RoutingRequest,
    hold_answer_ttl: timedelta,
    now: datetime | None = None,
) -> Decision:
    """Gather the candidates, their load and the free beds, then decide.

    A bed asked for within `hold_answer_ttl` and not answered yet is not free: the
    shelter's snapshot has not counted it. Older requests are left to the snapshots.
    """
    now = now or utcnow()
    candidates = await repository.candidates(
        session, service_type=request.service_type, referral_id=request.referral_id
    )
    shelters: list[ShelterBeds] = []
    if request.shelter_category is not None and candidates:
        rows = await capacity_repository.availability(
            session,
            organization_ids={c.organization_id for c in candidates},
            category=request.shelter_category,
        )
        awaiting = await repository.holds_awaiting_answer(
            session,
            category=request.shelter_category,
            shelter_ids=[r.shelter_id for r in rows],
            asked_since=now - hold_answer_ttl,
            excluding=request.referral_id,
        )
        shelters = [
            ShelterBeds(
                shelter_id=row.shelter_id,
                organization_id=row.organization_id,
                region=row.region,
                district=row.district,
                category=row.category,
                available=max(row.available - awaiting.get(row.shelter_id, 0), 0),
                awaiting=awaiting.get(row.shelter_id, 0),
                stale=row.stale,
                updated_hours_ago=_hours_since(row.updated_at, now),
            )
            for row in rows
        ]
    return decide(request, candidates, shelters)


def _hours_since(moment: datetime | None, now: datetime) -> int | None:
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds() // 3600))
