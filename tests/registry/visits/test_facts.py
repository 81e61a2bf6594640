"""The indicators the registry derives from a household's record."""

from __future__ import annotations

from datetime import date
from typing import Any

from kamkor_registry.households.models import HouseholdMember, Person
from kamkor_registry.households.repository import Membership
from kamkor_registry.visits.facts import derive

ON = date(2026, 12, 3)


def _member(role: str, born: date, **person: Any) -> Membership:
    caregiver = person.pop("caregiver_person_id", None)
    until = person.pop("until", None)
    record = Person(
        id=person.pop("id", f"{role}-{born.isoformat()}"),
        family_name="A",
        given_name="B",
        sex=person.pop("sex", "female"),
        birth_date=born,
        **person,
    )
    stay = HouseholdMember(
        household_id="h-1",
        person_id=record.id,
        role=role,
        since=date(2020, 1, 1),
        until=until,
        caregiver_person_id=caregiver,
    )
    return stay, record


class TestDerive:
    def test_a_household_without_children_has_no_facts(self) -> None:
        assert derive([_member("parent", date(1990, 1, 1))], on=ON) == {}

    def test_both_parents_abroad_and_the_grandmother_cares(self) -> None:
        members = [
            _member("parent", date(1988, 1, 1), migration_status="abroad", id="p1"),
            _member("parent", date(1990, 1, 1), migration_status="abroad", id="p2"),
            _member("grandparent", date(1954, 6, 1), disability=True),
            _member("child", date(2016, 1, 1)),
        ]

        assert derive(members, on=ON) == {
            "both_parents_abroad": True,
            "caregiver_age": 72,
            "caregiver_ill_or_disabled": True,
        }

    def test_one_parent_at_home_is_the_caregiver_unless_one_is_named(self) -> None:
        members = [
            _member("parent", date(1988, 1, 1), migration_status="abroad", id="p1"),
            _member("parent", date(1990, 1, 1), migration_status="home", id="p2"),
            _member("grandparent", date(1950, 6, 1), id="g"),
            _member("child", date(2016, 1, 1)),
        ]
        assert derive(members, on=ON) == {}

        named = [*members[:3], _member("child", date(2016, 1, 1), caregiver_person_id="g")]
        assert derive(named, on=ON) == {"caregiver_age": 76}

    def test_children_out_of_school_or_without_disability_support(self) -> None:
        members = [
            _member("parent", date(1990, 1, 1)),
            _member("child", date(2014, 1, 1), school_enrolment="not_enrolled", id="c1"),
            _member("child", date(2018, 1, 1), disability=True, disability_support=False, id="c2"),
            _member("child", date(2019, 1, 1), disability=True, id="c3"),
        ]

        assert derive(members, on=ON) == {
            "child_out_of_school": True,
            "child_disability_without_support": True,
        }

    def test_members_who_left_do_not_count(self) -> None:
        members = [
            _member("parent", date(1988, 1, 1), migration_status="abroad", id="p1"),
            _member("parent", date(1990, 1, 1), until=date(2025, 1, 1), id="p2"),
            _member("child", date(2016, 1, 1)),
            _member("child", date(2010, 1, 1), school_enrolment="not_enrolled", until=ON),
        ]

        assert derive(members, on=ON, siblings_separated=True) == {"siblings_separated": True}
