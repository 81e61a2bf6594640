"""Properties of routing: never an ineligible partner, always the best eligible one.

Directories (organisations, services, areas, shelters with free beds) and families are
generated; every decision is checked against an independent reading of DESIGN §6 and
docs/decisions/0005-routing-choices.md: eligibility, then the ranking by area specificity,
a shelter in the family's region, free capacity, and load.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from kamkor_common.reference.partners import COUNTRY
from kamkor_common.reference.regions import REGIONS, region_of
from kamkor_referral.directory.schemas import ServiceType
from kamkor_referral.routing.schemas import Area, Candidate, Decision, RoutingRequest, ShelterBeds
from kamkor_referral.routing.service import decide

PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=150)
# Checks that build on a drawn case and redo the decision need fewer examples.
DERIVED = settings(PROPERTY, max_examples=60)

SERVICE_TYPES: tuple[str, ...] = get_args(ServiceType)
SHELTER_CATEGORY = {"temporary_shelter": "family", "crisis_centre": "mother_child"}
BED_CATEGORIES = ("mother_child", "woman", "child", "family")
LANGUAGES = ("ky", "ru", "uz")
# A few regions only, so that generated services and families often share a place.
PLACES = [
    (region.code, [d.code for d in region.districts][:3])
    for region in REGIONS
    if region.code in ("KG-J", "KG-O", "KG-B")
]
DISTRICTS = [district for _, districts in PLACES for district in districts]
REGION_CODES = [region for region, _ in PLACES]

AREA_RANK = {"district": 3, "region": 2, "country": 1}


# --- strategies -----------------------------------------------------------------------------

areas = st.one_of(
    st.sampled_from(DISTRICTS).map(lambda code: Area("district", code)),
    st.sampled_from(REGION_CODES).map(lambda code: Area("region", code)),
    st.just(Area("country", COUNTRY)),
)


@st.composite
def requests(draw: st.DrawFn, service_type: str | None = None) -> RoutingRequest:
    """A family's need: its place, language, children and what was tried before."""
    district = draw(st.sampled_from(DISTRICTS))
    region = region_of(district)
    assert region is not None
    wanted = service_type or draw(st.sampled_from(SERVICE_TYPES))
    return RoutingRequest(
        service_type=wanted,
        region=region,
        district=district,
        language=draw(st.sampled_from(LANGUAGES)),
        children_ages=tuple(draw(st.lists(st.integers(0, 17), max_size=3))),
        shelter_category=SHELTER_CATEGORY.get(wanted),
        tried_service_ids=frozenset(draw(st.sets(st.sampled_from(SERVICE_IDS), max_size=3))),
        excluded_shelter_ids=frozenset(draw(st.sets(st.sampled_from(SHELTER_IDS), max_size=2))),
    )


ORGANIZATION_IDS = [f"org-{n}" for n in range(4)]
SERVICE_IDS = [f"svc-{n}" for n in range(8)]
SHELTER_IDS = [f"shelter-{n}" for n in range(8)]
# Ways a service can fail to be eligible; most drawn services have none or one of them.
FLAWS = (
    "elsewhere",
    "organisation_inactive",
    "inactive",
    "closed",
    "language",
    "ages",
    "tried",
    "full",
    "type",
)


def covering_areas(request: RoutingRequest) -> st.SearchStrategy[Area]:
    return st.sampled_from(
        [
            Area("district", request.district),
            Area("region", request.region),
            Area("country", COUNTRY),
        ]
    )


@st.composite
def candidate_for(
    draw: st.DrawFn, request: RoutingRequest, service_id: str
) -> tuple[Candidate, set[str]]:
    """A directory service that could take the request but for the flaws drawn with it."""
    flaws = set(draw(st.lists(st.sampled_from(FLAWS), max_size=2) | st.just([])))
    organization_id = draw(st.sampled_from(ORGANIZATION_IDS))
    others = draw(st.lists(areas, max_size=2))
    if "elsewhere" in flaws:
        found = tuple(dict.fromkeys(a for a in others if not covers(a, request)))
        areas_ = found or (Area("region", "KG-T"),)
    else:
        areas_ = tuple(dict.fromkeys([draw(covering_areas(request)), *others]))
    languages = set(draw(st.lists(st.sampled_from(LANGUAGES), max_size=2)))
    if "language" in flaws:
        languages.discard(request.language)
    else:
        languages.add(request.language)
    open_referrals = draw(st.integers(0, 5))
    if "full" in flaws:
        limit: int | None = draw(st.integers(0, open_referrals))
    else:
        limit = draw(st.none() | st.integers(open_referrals + 1, open_referrals + 4))
    ages = request.children_ages
    if "ages" in flaws and ages:
        # A range that misses every child.
        min_age, max_age = max(ages) + 1, max(ages) + 3
    elif ages and draw(st.booleans()):
        child = draw(st.sampled_from(ages))
        min_age, max_age = draw(st.integers(0, child)), draw(st.integers(child, 18))
    else:
        min_age, max_age = None, None
    candidate = Candidate(
        organization_id=organization_id,
        organization_name=f"Organisation {organization_id}",
        service_id=service_id,
        service_type=_other_type(request.service_type) if "type" in flaws else request.service_type,
        areas=areas_,
        languages=tuple(sorted(languages)),
        organization_active="organisation_inactive" not in flaws,
        status="inactive" if "inactive" in flaws else "active",
        accepts_referrals="closed" not in flaws,
        min_age=min_age,
        max_age=max_age,
        open_referral_limit=limit,
        open_referrals=open_referrals,
    )
    return candidate, flaws


@st.composite
def shelters_of(draw: st.DrawFn, request: RoutingRequest) -> list[ShelterBeds]:
    """Free beds of the capacity read model, as `plan` hands them to `decide`."""
    found = []
    shelter_ids = iter(SHELTER_IDS)
    category = request.shelter_category or "family"
    for organization_id in ORGANIZATION_IDS:
        for shelter_id in itertools.islice(shelter_ids, draw(st.integers(0, 2))):
            # Often in the family's region, so that "near" and "more beds" compete.
            district = draw(st.sampled_from([request.district, *DISTRICTS]))
            region = region_of(district)
            assert region is not None
            found.append(
                ShelterBeds(
                    shelter_id=shelter_id,
                    organization_id=organization_id,
                    region=region,
                    district=district,
                    category=draw(st.sampled_from([category] * 3 + list(BED_CATEGORIES))),
                    available=draw(st.integers(0, 4)),
                    awaiting=draw(st.integers(0, 2)),
                )
            )
    return found


@dataclass(frozen=True)
class Case:
    request: RoutingRequest
    candidates: list[Candidate]
    shelters: list[ShelterBeds]


@st.composite
def cases(draw: st.DrawFn, service_types: tuple[str, ...] = SERVICE_TYPES) -> Case:
    service_type = draw(st.sampled_from(service_types))
    request = draw(requests(service_type))
    service_ids = draw(st.lists(st.sampled_from(SERVICE_IDS), unique=True, max_size=8))
    candidates, tried = [], set(request.tried_service_ids)
    for service_id in service_ids:
        candidate, flaws = draw(candidate_for(request, service_id))
        candidates.append(candidate)
        if "tried" in flaws:
            tried.add(service_id)
        else:
            tried.discard(service_id)
    request = replace(request, tried_service_ids=frozenset(tried))
    return Case(request, candidates, draw(shelters_of(request)))


# --- an independent reading of the rules ----------------------------------------------------


def covers(area: Area, request: RoutingRequest) -> bool:
    """The family's district, the region that district is in, or the whole country."""
    if area.kind == "district":
        return area.code == request.district
    if area.kind == "region":
        return area.code == region_of(request.district)
    return area.kind == "country" and area.code == COUNTRY


def ages_fit(candidate: Candidate, ages: tuple[int, ...]) -> bool:
    if not ages or (candidate.min_age is None and candidate.max_age is None):
        return True
    low = 0 if candidate.min_age is None else candidate.min_age
    high = math.inf if candidate.max_age is None else candidate.max_age
    return any(low <= age <= high for age in ages)


def usable_shelters(
    candidate: Candidate, shelters: list[ShelterBeds], request: RoutingRequest
) -> list[ShelterBeds]:
    return [
        s
        for s in shelters
        if s.organization_id == candidate.organization_id
        and s.category == request.shelter_category
        and s.available > 0
        and s.shelter_id not in request.excluded_shelter_ids
    ]


def eligible(candidate: Candidate, case: Case) -> bool:
    request = case.request
    limit = candidate.open_referral_limit
    return (
        candidate.service_type == request.service_type
        and any(covers(area, request) for area in candidate.areas)
        and candidate.organization_active
        and candidate.status == "active"
        and candidate.accepts_referrals
        and request.language in candidate.languages
        and ages_fit(candidate, request.children_ages)
        and candidate.service_id not in request.tried_service_ids
        and (limit is None or candidate.open_referrals < limit)
        and (
            request.shelter_category is None
            or bool(usable_shelters(candidate, case.shelters, request))
        )
    )


def rank(candidate: Candidate, case: Case) -> tuple[float, ...]:
    """The documented ranking as a tuple, larger is better."""
    request = case.request
    specificity = max(AREA_RANK[a.kind] for a in candidate.areas if covers(a, request))
    if request.shelter_category is not None:
        near, free = max(
            (s.region == request.region, s.available)
            for s in usable_shelters(candidate, case.shelters, request)
        )
    else:
        limit = candidate.open_referral_limit
        near, free = False, math.inf if limit is None else limit - candidate.open_referrals
    return (specificity, int(near), free, -candidate.open_referrals)


def assert_decision_keeps_the_rules(case: Case, decision: Decision) -> None:
    request = case.request
    choice = decision.choice
    can_take = [c for c in case.candidates if eligible(c, case)]
    if choice is None:
        assert not can_take, f"nobody chosen although {can_take} could take it"
        return
    chosen = choice.candidate
    assert chosen in case.candidates
    assert chosen.service_type == request.service_type
    assert covers(choice.area, request) and choice.area in chosen.areas
    assert (
        choice.area.kind
        == max(
            (a for a in chosen.areas if covers(a, request)), key=lambda a: AREA_RANK[a.kind]
        ).kind
    )
    assert chosen.organization_active, chosen
    assert chosen.status == "active", chosen
    assert chosen.accepts_referrals, chosen
    assert request.language in chosen.languages, chosen
    assert ages_fit(chosen, request.children_ages), chosen
    assert chosen.service_id not in request.tried_service_ids, chosen
    limit = chosen.open_referral_limit
    assert limit is None or chosen.open_referrals < limit, chosen
    if request.shelter_category is None:
        assert choice.shelter is None
    else:
        shelter = choice.shelter
        assert shelter is not None
        assert shelter in usable_shelters(chosen, case.shelters, request), shelter
        near, free = max(
            (s.region == request.region, s.available)
            for s in usable_shelters(chosen, case.shelters, request)
        )
        assert (shelter.region == request.region, shelter.available) == (near, free)
    assert eligible(chosen, case)
    best = max(rank(c, case) for c in can_take)
    assert rank(chosen, case) == best, (rank(chosen, case), best)


# --- the properties -------------------------------------------------------------------------


class TestDecide:
    @PROPERTY
    @given(case=cases())
    def test_the_choice_is_eligible_and_the_best_by_the_documented_ranking(
        self, case: Case
    ) -> None:
        decision = decide(case.request, case.candidates, case.shelters)

        assert_decision_keeps_the_rules(case, decision)

    @PROPERTY
    @given(case=cases(tuple(SHELTER_CATEGORY)))
    def test_a_shelter_choice_has_a_free_bed_and_is_the_best_by_the_documented_ranking(
        self, case: Case
    ) -> None:
        decision = decide(case.request, case.candidates, case.shelters)

        assert_decision_keeps_the_rules(case, decision)

    @DERIVED
    @given(case=cases(), data=st.data())
    def test_the_order_of_the_directory_does_not_change_the_choice(
        self, case: Case, data: Any
    ) -> None:
        candidates = data.draw(st.permutations(case.candidates), label="candidates")
        shelters = data.draw(st.permutations(case.shelters), label="shelters")

        first = decide(case.request, case.candidates, case.shelters)
        again = decide(case.request, candidates, shelters)

        assert first.choice == again.choice

    @DERIVED
    @given(case=cases())
    def test_an_ineligible_service_added_to_the_directory_changes_nothing(self, case: Case) -> None:
        before = decide(case.request, case.candidates, case.shelters)
        request = case.request
        # The same services again under new ids, each spoilt in one way.
        spoilt = [
            replace(c, service_id=f"{c.service_id}-{why}", **change)
            for n, c in enumerate(case.candidates)
            for why, change in [
                ("elsewhere", {"areas": (Area("region", "KG-T"), Area("district", "KG-C-01"))}),
                ("inactive", {"status": "inactive"}),
                ("closed", {"accepts_referrals": False}),
                ("gone", {"organization_active": False}),
                ("language", {"languages": tuple(x for x in c.languages if x != request.language)}),
                ("full", {"open_referral_limit": n % 3, "open_referrals": n % 3}),
                ("type", {"service_type": _other_type(request.service_type)}),
            ]
        ]
        tried = [replace(c, service_id=f"{c.service_id}-tried") for c in case.candidates]
        request = replace(
            request, tried_service_ids=request.tried_service_ids | {c.service_id for c in tried}
        )

        after = decide(request, [*case.candidates, *spoilt, *tried], case.shelters)

        assert after.choice == before.choice


def _other_type(service_type: str) -> str:
    return next(t for t in SERVICE_TYPES if t != service_type)
