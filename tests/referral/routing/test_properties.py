"""Properties of routing: never an ineligible partner, always the best eligible one.

Directories (organisations, services, areas, shelters with free beds) and families are
generated; every decision is checked against an independent reading of DESIGN §6 and
docs/decisions/0005-routing-choices.md: eligibility, then the ranking by area specificity,
a shelter in the family's region, free capacity, and load.
"""

from __future__ import annotations

import itertools
import math
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamkor_common.db import Database, migrate, utcnow
from kamkor_common.reference.partners import COUNTRY
from kamkor_common.reference.regions import REGIONS, region_of
from kamkor_referral.capacity.models import ShelterAvailability
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.directory.schemas import ServiceType
from kamkor_referral.main import MIGRATIONS
from kamkor_referral.referrals.models import OPEN_AT_PARTNER_STATUSES, Referral
from kamkor_referral.routing import repository
from kamkor_referral.routing.schemas import Area, Candidate, Decision, RoutingRequest, ShelterBeds
from kamkor_referral.routing.service import decide, plan

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
SEXES = ("female", "male")


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
        # Unknown (events from before sexes were sent), or the sexes present in the household.
        member_sexes=draw(st.none() | st.frozensets(st.sampled_from(SEXES))),
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
    "sex",
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
    present = request.member_sexes
    absent = [sex for sex in SEXES if present is not None and sex not in present]
    if "sex" in flaws and absent:
        # Serves only a sex nobody in the household is.
        sex_eligibility: tuple[str, ...] = (draw(st.sampled_from(absent)),)
    elif present and draw(st.booleans()):
        sex_eligibility = (draw(st.sampled_from(sorted(present))),)
    else:
        sex_eligibility = ()
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
        sex_eligibility=sex_eligibility,
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


def sexes_fit(candidate: Candidate, sexes: frozenset[str] | None) -> bool:
    """Some member is of a sex the service serves; unknown sexes and `any` exclude nobody."""
    if not candidate.sex_eligibility or sexes is None:
        return True
    return any(sex in sexes for sex in candidate.sex_eligibility)


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
        and sexes_fit(candidate, request.member_sexes)
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


# --- plan: the same rules with the facts read from PostgreSQL ---------------------------------

STATUSES = ("draft", "requested", "accepted", "in_progress", "on_hold", "completed", "cancelled")
NOW = utcnow()
HOLD_ANSWER_TTL = timedelta(minutes=10)
DB_PROPERTY = settings(PROPERTY, max_examples=40)


@pytest.fixture(scope="module")
async def routing_database(
    make_database: Callable[[str], Awaitable[str]],
) -> AsyncIterator[Database]:
    """A referral database of this module's own, migrated; no service runs on it."""
    database = Database(await make_database("referral_props"))
    await migrate(database.engine, MIGRATIONS)
    yield database
    await database.dispose()


@dataclass(frozen=True)
class Stored:
    """A drawn case as rows: directory, referrals that load services, the capacity model."""

    case: Case
    organization_languages: dict[str, tuple[str, ...]]
    service_languages: dict[str, tuple[str, ...]]
    loads: dict[str, list[str]]  # service id -> statuses of its referrals
    pending: dict[str, tuple[int, int]]  # shelter id -> bed requests (recent, too old)
    snapshot_free: dict[str, int]  # shelter id -> free beds as the shelter announced


@st.composite
def stored_cases(draw: st.DrawFn) -> Stored:
    # Mostly a shelter type: beds asked for and not answered are part of the facts.
    case = draw(cases(("temporary_shelter", "temporary_shelter", "legal_aid")))
    # One organisation row per id: its activity and languages are what its services get.
    organizations = {c.organization_id: c for c in case.candidates}
    spoken = st.lists(st.sampled_from(LANGUAGES), unique=True, max_size=2)
    organization_languages = {
        # Mostly the family's language among them, so that many services stay eligible.
        org: tuple(
            sorted({*draw(spoken), *draw(st.sampled_from([[case.request.language]] * 3 + [[]]))})
        )
        for org in ORGANIZATION_IDS
    }
    candidates, service_languages, loads = [], {}, {}
    for candidate in case.candidates:
        first = organizations[candidate.organization_id]
        # An empty list on the service means "the organisation's languages".
        own = draw(st.sampled_from([candidate.languages, ()]))
        service_languages[candidate.service_id] = own
        statuses = draw(st.lists(st.sampled_from(STATUSES), max_size=6))
        loads[candidate.service_id] = statuses
        candidates.append(
            replace(
                candidate,
                organization_active=first.organization_active,
                organization_name=first.organization_name,
                languages=own or organization_languages[candidate.organization_id],
                open_referrals=sum(s in OPEN_AT_PARTNER_STATUSES for s in statuses),
            )
        )
    pending, snapshot_free, shelters = {}, {}, []
    for beds in case.shelters:
        recent, old = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        free = draw(st.integers(0, 4))
        # Only requests for this category count, and only for a while (HOLD_ANSWER_TTL).
        counted = recent if beds.category == case.request.shelter_category else 0
        pending[beds.shelter_id] = (recent, old)
        snapshot_free[beds.shelter_id] = free
        shelters.append(replace(beds, available=max(free - counted, 0), awaiting=counted))
    return Stored(
        case=Case(case.request, candidates, shelters),
        organization_languages=organization_languages,
        service_languages=service_languages,
        loads=loads,
        pending=pending,
        snapshot_free=snapshot_free,
    )


def rows_of(stored: Stored) -> list[Any]:
    case = stored.case
    request = case.request
    rows: list[Any] = []
    organizations = {c.organization_id: c for c in case.candidates}
    for organization_id, first in organizations.items():
        rows.append(
            Organization(
                id=organization_id,
                name=first.organization_name,
                type="ngo",
                languages=list(stored.organization_languages[organization_id]),
                active=first.organization_active,
            )
        )
    for c in case.candidates:
        rows.append(
            PartnerService(
                id=c.service_id,
                organization_id=c.organization_id,
                service_type=c.service_type,
                name=c.service_id,
                status=c.status,
                accepts_referrals=c.accepts_referrals,
                languages=list(stored.service_languages[c.service_id]),
                min_age=c.min_age,
                max_age=c.max_age,
                sex_eligibility=list(c.sex_eligibility),
                open_referral_limit=c.open_referral_limit,
            )
        )
        rows += [ServiceArea(service_id=c.service_id, kind=a.kind, code=a.code) for a in c.areas]
        rows += [
            _referral(service_type=c.service_type, status=status, service_id=c.service_id)
            for status in stored.loads[c.service_id]
        ]
    for beds in case.shelters:
        rows.append(
            ShelterAvailability(
                shelter_id=beds.shelter_id,
                category=beds.category,
                organization_id=beds.organization_id,
                region=beds.region,
                district=beds.district,
                available=stored.snapshot_free[beds.shelter_id],
                total=stored.snapshot_free[beds.shelter_id] + 2,
                as_of=NOW,
            )
        )
        recent, old = stored.pending[beds.shelter_id]
        for ago in [timedelta(seconds=5)] * recent + [HOLD_ANSWER_TTL * 2] * old:
            rows.append(
                _referral(
                    service_type="temporary_shelter",
                    status="requested",
                    shelter_id=beds.shelter_id,
                    hold_status="requested",
                    hold_category=beds.category,
                    hold_requested_at=NOW - ago,
                )
            )
    # The referral being routed, addressed to some service now: never counted against it.
    routed = _referral(
        id=request.referral_id,
        service_type=request.service_type,
        status="requested",
        service_id=case.candidates[0].service_id if case.candidates else None,
        shelter_id=case.shelters[0].shelter_id if case.shelters else None,
        hold_status="requested",
        hold_category=request.shelter_category,
        hold_requested_at=NOW,
    )
    return [*rows, routed]


def _referral(**fields: Any) -> Referral:
    values: dict[str, Any] = {
        "household_id": str(uuid.uuid4()),
        "priority": "urgent",
        "region": "KG-J",
        "district": "KG-J-01",
        "language": "ky",
        **fields,
    }
    return Referral(**values)


class TestPlan:
    @DB_PROPERTY
    @given(stored=stored_cases())
    async def test_with_facts_from_the_database_the_choice_keeps_every_rule(
        self, routing_database: Database, stored: Stored
    ) -> None:
        request = replace(stored.case.request, referral_id=str(uuid.uuid4()))
        stored = replace(stored, case=replace(stored.case, request=request))
        async with routing_database.sessionmaker() as session:
            session.add_all(rows_of(stored))
            await session.flush()
            try:
                found = await repository.candidates(
                    session, service_type=request.service_type, referral_id=request.referral_id
                )
                decision = await plan(
                    session=session, request=request, hold_answer_ttl=HOLD_ANSWER_TTL, now=NOW
                )
            finally:
                await session.rollback()

        expected = {
            c.service_id: c
            for c in stored.case.candidates
            if c.service_type == request.service_type
        }
        assert {c.service_id: _normal(c) for c in found} == {
            k: _normal(c) for k, c in expected.items()
        }
        if decision.choice is not None:
            chosen = expected[decision.choice.candidate.service_id]
            decision = replace(decision, choice=replace(decision.choice, candidate=chosen))
        assert_decision_keeps_the_rules(stored.case, decision)


def _normal(candidate: Candidate) -> Candidate:
    """Areas and languages in a fixed order: the database keeps them as sets."""
    return replace(
        candidate,
        areas=tuple(sorted(candidate.areas, key=lambda a: (a.kind, a.code))),
        languages=tuple(sorted(candidate.languages)),
    )
