"""Routing rules as pure functions: who may take a referral, and who is chosen."""

from __future__ import annotations

from dataclasses import replace

from kamkor_referral.routing.schemas import Area, Candidate, RoutingRequest, ShelterBeds
from kamkor_referral.routing.service import covering_area, decide

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
