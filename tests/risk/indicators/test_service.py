"""Answers checked against the indicator vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from kamkor_risk.indicators import service
from kamkor_risk.indicators.service import InvalidAnswers

# DESIGN §5: the vocabulary holds at least these.
REQUIRED = {
    "monthly_income_per_person",
    "below_subsistence_minimum",
    "debt_arrears_months",
    "utility_arrears_months",
    "breadwinner_unemployed",
    "lost_income_recently",
    "rent_arrears_months",
    "eviction_notice_days",
    "homeless_now",
    "housing_unsafe",
    "overcrowded",
    "caregiver_stress",
    "domestic_violence_signs",
    "substance_abuse_in_household",
    "pregnant_without_support",
    "intends_to_give_up_newborn",
    "newborn_under_3_months",
    "child_works",
    "child_works_hazardous",
    "child_out_of_school",
    "both_parents_abroad",
    "caregiver_age",
    "caregiver_ill_or_disabled",
    "siblings_separated",
    "child_disability_without_support",
}


def errors_of(answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidAnswers) as caught:
        service.validate_answers(answers)
    assert caught.value.code == "invalid_answers"
    return {e["indicator"]: e["message"] for e in caught.value.extra["errors"]}


class TestListIndicators:
    def test_the_vocabulary_holds_every_indicator_of_the_design(self) -> None:
        codes = [i.code for i in service.list_indicators()]

        assert REQUIRED.issubset(codes)
        assert len(codes) == len(set(codes))

    def test_every_indicator_is_labelled_in_three_languages(self) -> None:
        for indicator in service.list_indicators():
            assert indicator.label.ky and indicator.label.ru and indicator.label.en

    def test_numbers_have_ranges(self) -> None:
        stress = service.get_indicator("caregiver_stress")

        assert stress is not None
        assert (stress.type, stress.minimum, stress.maximum) == ("int", 0, 10)


class TestValidateAnswers:
    def test_valid_answers_pass_unchanged(self) -> None:
        answers = {
            "eviction_notice_days": 5,
            "homeless_now": False,
            "monthly_income_per_person": 3500.75,
            "caregiver_stress": 10,
        }

        assert service.validate_answers(answers) == answers

    def test_a_null_answer_is_a_question_not_asked(self) -> None:
        assert service.validate_answers({"homeless_now": None, "overcrowded": True}) == {
            "overcrowded": True
        }

    def test_an_unknown_indicator_is_named(self) -> None:
        assert errors_of({"roof_leaks": True, "overcrowded": True}) == {
            "roof_leaks": "unknown indicator"
        }

    @pytest.mark.parametrize(
        ("code", "value", "message"),
        [
            ("homeless_now", 1, "bool answer must be true or false"),
            ("homeless_now", "yes", "bool answer must be true or false"),
            ("eviction_notice_days", "5", "int answer must be an integer"),
            ("eviction_notice_days", 5.5, "int answer must be an integer"),
            ("eviction_notice_days", True, "int answer must be an integer"),
            ("monthly_income_per_person", False, "number answer must be a number"),
            ("caregiver_stress", 11, "int answer must be at most 10"),
            ("eviction_notice_days", -1, "int answer must be at least 0"),
            ("monthly_income_per_person", -0.5, "number answer must be at least 0"),
        ],
    )
    def test_a_wrong_value_is_named_with_the_reason(
        self, code: str, value: Any, message: str
    ) -> None:
        assert errors_of({code: value}) == {code: message}

    def test_every_bad_answer_is_named_at_once(self) -> None:
        errors = errors_of({"roof_leaks": 1, "homeless_now": "no", "overcrowded": True})

        assert set(errors) == {"roof_leaks", "homeless_now"}
