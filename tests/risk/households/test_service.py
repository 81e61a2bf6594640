"""Household facts: children's ages and the registry record's current children."""

from __future__ import annotations

from datetime import date

import pytest

from kamkor_risk.households import service
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.households.schemas import RegistryHousehold


class TestChildrenAges:
    def test_whole_years_counting_the_birthday(self) -> None:
        household = RiskHousehold(
            household_id="h",
            region="KG-J",
            district="KG-J-01",
            language="ky",
            children_birth_dates=["2016-11-24", "2016-11-23", "2026-05-01"],
        )

        ages = service.children_ages(household, today=date(2026, 11, 23))

        assert ages == [0, 9, 10]


class TestFactsFromRegistry:
    def test_keeps_current_children_only(self) -> None:
        record = RegistryHousehold.model_validate(
            {
                "id": "h1",
                "region": "KG-J",
                "district": "KG-J-01",
                "settlement": "Jalal-Abad",
                "language": "ky",
                "members": [
                    {"role": "caregiver", "birth_date": "1960-01-01", "family_name": "x"},
                    {"role": "child", "birth_date": "2018-04-05", "until": None},
                    {"role": "child", "birth_date": "2012-04-05", "until": "2025-01-01"},
                ],
            }
        )

        facts = service.facts_from_registry(record, today=date(2026, 11, 23))

        assert facts.household_id == "h1"
        assert facts.children_birth_dates == [date(2018, 4, 5)]


class TestMemberSexes:
    def test_the_current_members_adults_and_children(self) -> None:
        record = RegistryHousehold.model_validate(
            {
                "id": "h3",
                "region": "KG-J",
                "district": "KG-J-01",
                "language": "ky",
                "members": [
                    {"role": "parent", "sex": "female", "birth_date": "1990-01-01"},
                    {"role": "child", "sex": "male", "birth_date": "2018-04-05"},
                    {
                        "role": "parent",
                        "sex": "male",
                        "birth_date": "1988-01-01",
                        "until": "2025-01-01",
                    },
                ],
            }
        )

        facts = service.facts_from_registry(record, today=date(2026, 11, 23))

        assert facts.member_sexes == ["female", "male"]

    def test_a_record_without_sexes_leaves_them_unknown(self) -> None:
        record = RegistryHousehold.model_validate(
            {
                "id": "h4",
                "region": "KG-J",
                "district": "KG-J-01",
                "language": "ky",
                "members": [
                    {"role": "parent", "sex": "female", "birth_date": "1990-01-01"},
                    {"role": "child", "birth_date": "2018-04-05"},
                ],
            }
        )

        assert service.facts_from_registry(record, today=date(2026, 11, 23)).member_sexes is None

    def test_a_row_from_before_sexes_were_kept_says_unknown(self) -> None:
        household = RiskHousehold(
            household_id="h", region="KG-J", district="KG-J-01", language="ky"
        )

        assert service.member_sexes(household) is None


class TestKyrgyzstanDate:
    """Ages and current memberships are counted on Kyrgyzstan's date (UTC+6), not UTC's."""

    # 23 November in Bishkek while it is still 22 November in UTC.
    BISHKEK_DAY = date(2026, 11, 23)

    def test_children_ages_default_to_the_local_date(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(service, "local_today", lambda: self.BISHKEK_DAY)
        household = RiskHousehold(
            household_id="h",
            region="KG-J",
            district="KG-J-01",
            language="ky",
            children_birth_dates=["2016-11-23"],
        )

        assert service.children_ages(household) == [10]

    def test_a_membership_ending_today_is_over(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(service, "local_today", lambda: self.BISHKEK_DAY)
        record = RegistryHousehold.model_validate(
            {
                "id": "h2",
                "region": "KG-J",
                "district": "KG-J-01",
                "language": "ky",
                "members": [{"role": "child", "birth_date": "2018-04-05", "until": "2026-11-23"}],
            }
        )

        assert service.facts_from_registry(record).children_birth_dates == []
