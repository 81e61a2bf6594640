"""Routing rules as pure functions: who may take a referral, and who is chosen."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_referral.capacity.models import ShelterAvailability
from kamkor_referral.directory.service import seed_directory
from kamkor_referral.referrals.models import Referral
from kamkor_referral.routing.schemas import Area, Candidate, RoutingRequest, ShelterBeds
from kamkor_referral.routing.service import covering_area, decide, plan

COUNTRY = Area("country", "KG")
REGION = Area("region", "KG-J")
DISTRICT = Area("district", "KG-J-06")

REQUEST = RoutingRequest(
    service_type="legal_aid",
    region="KG-J",
    district="KG-J-06",
    language="ky",
    children_ages=(4, 9),
)
SHELTER_REQUEST = replace(REQUEST, service_type="temporary_shelter", shelter_category="family")


def candidate(name: str, *areas: Area, service_type: str = "legal_aid", **kw: object) -> Candidate:
    fields: dict[str, object] = {"languages": ("ky", "ru"), **kw}
    return Candidate(
        organization_id=f"org-{name}",
        organization_name=name,
        service_id=f"svc-{name}",
        service_type=service_type,
        areas=areas,
        **fields,  # type: ignore[arg-type]
    )


def beds(name: str, shelter: str, available: int, region: str = "KG-J") -> ShelterBeds:
    return ShelterBeds(
        shelter_id=shelter,
        organization_id=f"org-{name}",
        region=region,
        district=f"{region}-01",
        category="family",
        available=available,
    )


def chosen(decision: object) -> str | None:
    choice = decision.choice  # type: ignore[attr-defined]
    return None if choice is None else choice.candidate.organization_name


class TestCoveringArea:
    def test_picks_the_most_specific_covering_area(self) -> None:
        assert covering_area([COUNTRY, REGION, DISTRICT], REQUEST) == DISTRICT
        assert covering_area([COUNTRY, REGION], REQUEST) == REGION
        assert covering_area([COUNTRY], REQUEST) == COUNTRY

    def test_other_places_do_not_cover(self) -> None:
        assert covering_area([Area("region", "KG-O"), Area("district", "KG-J-01")], REQUEST) is None


class TestDecide:
    def test_district_beats_region_beats_country(self) -> None:
        country, region, district = (
            candidate("Country", COUNTRY),
            candidate("Region", REGION),
            candidate("District", DISTRICT),
        )
        assert chosen(decide(REQUEST, [country, region, district])) == "District"
        assert chosen(decide(REQUEST, [country, region])) == "Region"
        assert chosen(decide(REQUEST, [country])) == "Country"

    def test_a_service_elsewhere_is_never_chosen(self) -> None:
        decision = decide(REQUEST, [candidate("Osh", Area("region", "KG-O"))])
        assert decision.choice is None
        assert any("not covering KG-J-06" in r and "Osh" in r for r in decision.reasons)
        assert decision.reasons[-1] == "no eligible partner for legal_aid in KG-J-06 (KG-J)"

    def test_the_family_language_is_required(self) -> None:
        russian_only = candidate("Russian", DISTRICT, languages=("ru",))
        kyrgyz = candidate("Kyrgyz", COUNTRY)
        decision = decide(REQUEST, [russian_only, kyrgyz])
        assert chosen(decision) == "Kyrgyz"
        assert "skipped Russian: does not work in ky (ru)" in decision.reasons

    def test_a_service_tried_before_is_skipped(self) -> None:
        first, second = candidate("First", DISTRICT), candidate("Second", REGION)
        request = replace(REQUEST, tried_service_ids=frozenset({"svc-First"}))
        decision = decide(request, [first, second])
        assert chosen(decision) == "Second"
        assert "skipped First: already tried for this referral" in decision.reasons

    def test_a_service_at_its_open_referral_limit_is_skipped(self) -> None:
        full = candidate("Full", DISTRICT, open_referral_limit=3, open_referrals=3)
        room = candidate("Room", DISTRICT, open_referral_limit=3, open_referrals=2)
        decision = decide(REQUEST, [full, room])
        assert chosen(decision) == "Room"
        assert "skipped Full: at its open-referral limit (3 of 3)" in decision.reasons
        assert chosen(decide(REQUEST, [full])) is None

    def test_inactive_or_closed_services_are_skipped(self) -> None:
        inactive = candidate("Inactive", DISTRICT, status="inactive")
        closed = candidate("Closed", DISTRICT, accepts_referrals=False)
        gone = candidate("Gone", DISTRICT, organization_active=False)
        assert chosen(decide(REQUEST, [inactive, closed, gone])) is None

    def test_age_limits_must_fit_a_child(self) -> None:
        teens = candidate("Teens", DISTRICT, min_age=12, max_age=17)
        young = candidate("Young", REGION, min_age=0, max_age=6)
        decision = decide(REQUEST, [teens, young])
        assert chosen(decision) == "Young"
        assert "skipped Teens: serves ages 12 to 17, the children are 4, 9" in decision.reasons

    def test_a_shelter_service_needs_a_free_bed_of_the_category(self) -> None:
        full = candidate("Full", DISTRICT, service_type="temporary_shelter")
        free = candidate("Free", COUNTRY, service_type="temporary_shelter")
        shelters = [
            beds("Full", "s-full", 0),
            replace(beds("Full", "s-women", 4), category="woman"),
            beds("Free", "s-free", 2, region="KG-GB"),
        ]
        decision = decide(SHELTER_REQUEST, [full, free], shelters)
        assert chosen(decision) == "Free"
        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.shelter.shelter_id == "s-free"
        assert "skipped Full: no free family bed" in decision.reasons
        assert "shelter s-free (KG-GB) has 2 free family beds" in decision.reasons

    def test_without_any_free_bed_nobody_is_chosen(self) -> None:
        only = candidate("Only", COUNTRY, service_type="temporary_shelter")
        decision = decide(SHELTER_REQUEST, [only], [beds("Only", "s1", 0)])
        assert decision.choice is None
        assert decision.summary == "no eligible partner for temporary_shelter in KG-J-06 (KG-J)"

    def test_a_shelter_that_refused_is_excluded(self) -> None:
        network = candidate("Network", COUNTRY, service_type="temporary_shelter")
        shelters = [beds("Network", "s-near", 5), beds("Network", "s-far", 9, region="KG-GB")]
        first = decide(SHELTER_REQUEST, [network], shelters)
        assert first.choice is not None and first.choice.shelter is not None
        # A shelter in the family's region is preferred over one with more beds far away.
        assert first.choice.shelter.shelter_id == "s-near"
        request = replace(SHELTER_REQUEST, excluded_shelter_ids=frozenset({"s-near"}))
        second = decide(request, [network], shelters)
        assert second.choice is not None and second.choice.shelter is not None
        assert second.choice.shelter.shelter_id == "s-far"

    def test_equal_areas_rank_by_free_capacity(self) -> None:
        small = candidate("Small", COUNTRY, service_type="temporary_shelter")
        large = candidate("Large", COUNTRY, service_type="temporary_shelter")
        shelters = [beds("Small", "s-small", 1), beds("Large", "s-large", 6)]
        decision = decide(SHELTER_REQUEST, [small, large], shelters)
        assert chosen(decision) == "Large"
        assert any(r.startswith("ranked below: Small") for r in decision.reasons)

    def test_free_capacity_comes_after_area_specificity(self) -> None:
        near = candidate("Near", DISTRICT, service_type="temporary_shelter")
        big = candidate("Big", COUNTRY, service_type="temporary_shelter")
        shelters = [beds("Near", "s-near", 1), beds("Big", "s-big", 20)]
        assert chosen(decide(SHELTER_REQUEST, [big, near], shelters)) == "Near"

    def test_then_the_lighter_load_wins(self) -> None:
        busy = candidate("Busy", REGION, open_referrals=7)
        calm = candidate("Calm", REGION, open_referrals=1)
        assert chosen(decide(REQUEST, [busy, calm])) == "Calm"

    def test_room_under_the_limit_counts_as_free_capacity(self) -> None:
        tight = candidate("Tight", REGION, open_referral_limit=2, open_referrals=1)
        open_ = candidate("Open", REGION, open_referrals=5)
        assert chosen(decide(REQUEST, [tight, open_])) == "Open"

    def test_the_decision_says_why_in_words(self) -> None:
        decision = decide(REQUEST, [candidate("Legal", COUNTRY, open_referrals=2)])
        assert decision.reasons[:2] == (
            "service legal_aid of Legal covers KG (country)",
            "2 open referrals at this service",
        )
        assert decision.summary == "; ".join(decision.reasons[:2])


class TestSexEligibility:
    MOTHERS = candidate("Mothers", DISTRICT, sex_eligibility=("female",))
    ANYONE = candidate("Anyone", COUNTRY)

    def test_a_service_no_member_fits_is_skipped_with_the_reason(self) -> None:
        fathers_and_sons = replace(REQUEST, member_sexes=frozenset({"male"}))
        decision = decide(fathers_and_sons, [self.MOTHERS, self.ANYONE])
        assert chosen(decision) == "Anyone"
        assert (
            "skipped Mothers: serves female clients only, and no member of the household is"
            in decision.reasons
        )

    def test_some_member_fitting_is_enough(self) -> None:
        mother_and_son = replace(REQUEST, member_sexes=frozenset({"female", "male"}))
        assert chosen(decide(mother_and_son, [self.MOTHERS, self.ANYONE])) == "Mothers"

    def test_unknown_sexes_exclude_nobody(self) -> None:
        assert REQUEST.member_sexes is None
        assert chosen(decide(REQUEST, [self.MOTHERS, self.ANYONE])) == "Mothers"

    def test_a_service_for_any_sex_takes_everyone(self) -> None:
        nobody_female = replace(REQUEST, member_sexes=frozenset({"male"}))
        assert chosen(decide(nobody_female, [self.ANYONE])) == "Anyone"
        assert chosen(decide(replace(REQUEST, member_sexes=frozenset()), [self.ANYONE])) == "Anyone"

    def test_an_empty_household_fits_no_sex_restricted_service(self) -> None:
        # Known and empty is not unknown: nobody there is of the sex the service serves.
        decision = decide(replace(REQUEST, member_sexes=frozenset()), [self.MOTHERS])
        assert decision.choice is None

    def test_sex_and_age_must_both_fit(self) -> None:
        young_mothers = candidate("Young mothers", DISTRICT, sex_eligibility=("female",), max_age=3)
        mother_of_older_children = replace(
            REQUEST, member_sexes=frozenset({"female"}), children_ages=(7, 12)
        )
        decision = decide(mother_of_older_children, [young_mothers, self.ANYONE])
        assert chosen(decision) == "Anyone"
        assert "skipped Young mothers: serves ages up to 3, the children are 7, 12" in (
            decision.reasons
        )
        baby = replace(mother_of_older_children, children_ages=(1, 7))
        assert chosen(decide(baby, [young_mothers, self.ANYONE])) == "Young mothers"


# --- plan: the facts gathered from the database -------------------------------------------

NOW = utcnow()
TTL = timedelta(seconds=600)
KADAMJAY = RoutingRequest(
    service_type="temporary_shelter",
    region="KG-B",
    district="KG-B-05",
    language="ky",
    shelter_category="family",
)


@pytest.fixture
async def session(referral: Any) -> AsyncIterator[AsyncSession]:
    """A session whose changes are rolled back: nothing here reaches the running service."""
    async with referral.database.sessionmaker() as session:
        yield session
        await session.rollback()


async def district_shelter(session: AsyncSession, *, free: int) -> tuple[str, str]:
    """A shelter partner for Kadamjay only, with `free` family beds; (organisation, shelter)."""
    organization_id, shelter_id = str(uuid.uuid4()), str(uuid.uuid4())
    await seed_directory(
        session=session,
        organizations=(
            SeedOrganization(
                id=organization_id,
                name="Kadamjay shelter",
                type="shelter_operator",
                languages=("ky",),
                services=(
                    SeedService(
                        str(uuid.uuid4()), "temporary_shelter", "Shelter, Kadamjay", ("KG-B-05",)
                    ),
                ),
            ),
        ),
    )
    session.add(
        ShelterAvailability(
            shelter_id=shelter_id,
            category="family",
            organization_id=organization_id,
            region="KG-B",
            district="KG-B-05",
            available=free,
            total=free,
            as_of=NOW,
        )
    )
    await session.flush()
    return organization_id, shelter_id


def asked_for(shelter_id: str, *, ago: timedelta, category: str = "family") -> Referral:
    """Another family's referral waiting for the shelter's answer since `ago`."""
    return Referral(
        household_id=str(uuid.uuid4()),
        service_type="temporary_shelter" if category == "family" else "crisis_centre",
        priority="urgent",
        status="requested",
        region="KG-B",
        district="KG-B-05",
        language="ky",
        shelter_id=shelter_id,
        hold_status="requested",
        hold_category=category,
        hold_requested_at=NOW - ago,
    )


class TestPlan:
    async def test_beds_asked_for_and_not_answered_are_not_free(
        self, session: AsyncSession
    ) -> None:
        organization_id, shelter_id = await district_shelter(session, free=2)
        session.add_all([asked_for(shelter_id, ago=timedelta(seconds=10)) for _ in range(2)])
        await session.flush()

        decision = await plan(session=session, request=KADAMJAY, hold_answer_ttl=TTL, now=NOW)
        assert "skipped Kadamjay shelter: no free family bed" in decision.reasons
        assert decision.choice is None or decision.choice.candidate.organization_id != (
            organization_id
        )

    async def test_old_requests_and_other_categories_do_not_count(
        self, session: AsyncSession
    ) -> None:
        organization_id, shelter_id = await district_shelter(session, free=2)
        session.add_all(
            [
                asked_for(shelter_id, ago=timedelta(seconds=10)),
                # Long unanswered: the shelter's snapshots have counted it or it was lost.
                asked_for(shelter_id, ago=TTL + timedelta(minutes=1)),
                asked_for(shelter_id, ago=timedelta(seconds=10), category="mother_child"),
            ]
        )
        await session.flush()

        decision = await plan(session=session, request=KADAMJAY, hold_answer_ttl=TTL, now=NOW)
        assert decision.choice is not None and decision.choice.shelter is not None
        assert decision.choice.candidate.organization_id == organization_id
        assert (decision.choice.shelter.available, decision.choice.shelter.awaiting) == (1, 1)
        assert (
            f"shelter {shelter_id} (in the family's region) has 1 free family beds "
            "besides 1 asked for by other referrals"
        ) in decision.reasons

    async def test_a_referral_moving_on_does_not_count_against_its_own_partner(
        self, session: AsyncSession
    ) -> None:
        service_id = str(uuid.uuid4())
        await seed_directory(
            session=session,
            organizations=(
                SeedOrganization(
                    id=str(uuid.uuid4()),
                    name="Kadamjay legal aid",
                    type="legal_aid",
                    languages=("ky",),
                    services=(
                        SeedService(
                            service_id,
                            "legal_aid",
                            "Legal aid, Kadamjay",
                            ("KG-B-05",),
                            open_referral_limit=1,
                        ),
                    ),
                ),
            ),
        )
        own = Referral(
            household_id=str(uuid.uuid4()),
            service_type="legal_aid",
            priority="routine",
            status="requested",
            region="KG-B",
            district="KG-B-05",
            language="ky",
            service_id=service_id,
        )
        session.add(own)
        await session.flush()
        request = replace(KADAMJAY, service_type="legal_aid", shelter_category=None)

        for_others = await plan(session=session, request=request, hold_answer_ttl=TTL, now=NOW)
        assert "skipped Kadamjay legal aid: at its open-referral limit (1 of 1)" in (
            for_others.reasons
        )
        moving_on = await plan(
            session=session,
            request=replace(request, referral_id=own.id),
            hold_answer_ttl=TTL,
            now=NOW,
        )
        assert moving_on.choice is not None
        assert moving_on.choice.candidate.service_id == service_id
