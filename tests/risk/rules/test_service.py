"""Scoring with rule sets: the shipped rule set, the hard-trigger floor, and loading."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kamkor_risk.rules import service
from kamkor_risk.rules.schemas import DomainScore, RuleSet
from kamkor_risk.rules.service import RuleSetError

SHIPPED = service.load_rule_set("2026.1")
DOMAINS = {
    "financial",
    "housing",
    "psychosocial",
    "maternal_newborn",
    "child_protection",
    "caregiving",
}


def by_domain(results: list[DomainScore]) -> dict[str, DomainScore]:
    return {r.domain: r for r in results}


def empty_rule_set(**extra: Any) -> RuleSet:
    """A rule set that gives no points at all: whatever it yields comes from the code floor."""
    return RuleSet.model_validate(
        {
            "version": "test.empty",
            "title": "no points",
            "severity_thresholds": {"low": 1, "medium": 30, "high": 55, "critical": 80},
            "domains": {},
            **extra,
        }
    )


def single(indicator: str, when: dict[str, Any], points: int = 5) -> dict[str, Any]:
    return {"indicator": indicator, "when": when, "points": points}


class TestScoreWithShippedRuleSet:
    def test_eviction_in_five_days_is_a_critical_housing_risk(self) -> None:
        housing = by_domain(service.score(SHIPPED, {"eviction_notice_days": 5}))["housing"]

        assert housing.severity == "critical"
        assert housing.score == 100
        assert housing.reason_codes() == ["eviction_notice_days"]
        reason = housing.reasons[0]
        assert reason.points == 100
        assert reason.value == 5
        assert reason.label.en == "Days until eviction"
        assert reason.label.ru == "Дней до выселения"
        assert reason.label.ky

    def test_eviction_in_three_weeks_is_high_not_critical(self) -> None:
        housing = by_domain(service.score(SHIPPED, {"eviction_notice_days": 21}))["housing"]

        assert (housing.score, housing.severity) == (60, "high")

    def test_housing_points_add_up(self) -> None:
        housing = by_domain(
            service.score(
                SHIPPED, {"rent_arrears_months": 6, "housing_unsafe": True, "overcrowded": True}
            )
        )["housing"]

        assert (housing.score, housing.severity) == (90, "critical")
        assert [(r.indicator, r.points) for r in housing.reasons] == [
            ("rent_arrears_months", 45),
            ("housing_unsafe", 30),
            ("overcrowded", 15),
        ]

    def test_one_month_of_rent_arrears_is_low(self) -> None:
        housing = by_domain(service.score(SHIPPED, {"rent_arrears_months": 1}))["housing"]

        assert (housing.score, housing.severity) == (10, "low")

    def test_low_income_with_debts_is_a_medium_financial_risk(self) -> None:
        financial = by_domain(
            service.score(SHIPPED, {"monthly_income_per_person": 4000, "debt_arrears_months": 3})
        )["financial"]

        assert (financial.score, financial.severity) == (40, "medium")
        assert financial.reason_codes() == ["monthly_income_per_person", "debt_arrears_months"]

    def test_very_low_income_without_a_breadwinner_is_critical(self) -> None:
        financial = by_domain(
            service.score(
                SHIPPED,
                {
                    "monthly_income_per_person": 2000.5,
                    "below_subsistence_minimum": True,
                    "breadwinner_unemployed": True,
                },
            )
        )["financial"]

        assert (financial.score, financial.severity) == (80, "critical")

    def test_financial_score_is_capped_at_100(self) -> None:
        financial = by_domain(
            service.score(
                SHIPPED,
                {
                    "monthly_income_per_person": 1000,
                    "below_subsistence_minimum": True,
                    "debt_arrears_months": 12,
                    "utility_arrears_months": 6,
                    "breadwinner_unemployed": True,
                    "lost_income_recently": True,
                },
            )
        )["financial"]

        assert financial.score == 100
        assert sum(r.points for r in financial.reasons) == 140
        assert len(financial.reasons) == 6

    def test_a_sufficient_income_scores_nothing(self) -> None:
        financial = by_domain(
            service.score(
                SHIPPED, {"monthly_income_per_person": 20000, "lost_income_recently": False}
            )
        )["financial"]

        assert (financial.score, financial.severity, financial.reasons) == (0, "none", [])

    def test_no_answers_means_no_risk_in_any_domain(self) -> None:
        results = service.score(SHIPPED, {})

        assert {r.domain for r in results} == DOMAINS
        assert all((r.score, r.severity, r.reasons) == (0, "none", []) for r in results)

    def test_one_answer_counts_in_every_domain_that_uses_it(self) -> None:
        results = by_domain(service.score(SHIPPED, {"domestic_violence_signs": True}))

        assert results["psychosocial"].reason_codes() == ["domestic_violence_signs"]
        assert results["child_protection"].reason_codes() == ["domestic_violence_signs"]
        assert results["financial"].severity == "none"


class TestHardTriggers:
    """The floor holds even for a rule set that gives no points and declares no triggers."""

    @pytest.mark.parametrize(
        ("answers", "domain", "severity"),
        [
            ({"intends_to_give_up_newborn": True}, "maternal_newborn", "critical"),
            ({"homeless_now": True}, "housing", "critical"),
            ({"eviction_notice_days": 7}, "housing", "critical"),
            ({"eviction_notice_days": 0}, "housing", "critical"),
            ({"child_works_hazardous": True}, "child_protection", "high"),
            ({"domestic_violence_signs": True}, "child_protection", "high"),
        ],
    )
    def test_trigger_sets_the_minimum_severity(
        self, answers: dict[str, Any], domain: str, severity: str
    ) -> None:
        result = by_domain(service.score(empty_rule_set(), answers))[domain]

        assert result.severity == severity
        assert result.score == {"critical": 80, "high": 55}[severity]
        (reason,) = result.reasons
        assert reason.indicator == next(iter(answers))
        assert reason.hard_trigger is True
        assert reason.points == result.score

    @pytest.mark.parametrize(
        "answers",
        [
            {"eviction_notice_days": 8},
            {"homeless_now": False},
            {"intends_to_give_up_newborn": False},
            {"child_works_hazardous": False, "domestic_violence_signs": False},
        ],
    )
    def test_no_trigger_without_its_answer(self, answers: dict[str, Any]) -> None:
        results = service.score(empty_rule_set(), answers)

        assert all(r.severity == "none" for r in results)

    def test_a_trigger_never_lowers_a_higher_result(self) -> None:
        results = by_domain(
            service.score(
                SHIPPED,
                {"domestic_violence_signs": True, "child_works_hazardous": True},
            )
        )

        assert results["child_protection"].severity == "critical"
        assert results["child_protection"].score == 100

    def test_a_trigger_lifts_a_lower_score_to_its_threshold(self) -> None:
        child = by_domain(service.score(SHIPPED, {"child_works_hazardous": True}))[
            "child_protection"
        ]

        assert (child.score, child.severity) == (60, "high")
        assert child.reasons[0].hard_trigger is True

    def test_a_rule_set_may_add_its_own_triggers(self) -> None:
        rule_set = empty_rule_set(
            hard_triggers=[
                {
                    "indicator": "caregiver_stress",
                    "when": {"gte": 9},
                    "domain": "psychosocial",
                    "severity": "medium",
                }
            ]
        )

        result = by_domain(service.score(rule_set, {"caregiver_stress": 9}))["psychosocial"]

        assert (result.score, result.severity) == (30, "medium")


class TestLoadRuleSet:
    def test_the_shipped_rule_set_is_the_default_and_covers_every_domain(self) -> None:
        assert "2026.1" in service.available_versions()
        assert SHIPPED.version == "2026.1"
        assert set(SHIPPED.domains) == DOMAINS

    def test_an_unknown_version_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match=r"no rule set '1999\.1'"):
            service.load_rule_set("1999.1")

    def test_a_path_is_not_a_version(self) -> None:
        with pytest.raises(RuleSetError):
            service.load_rule_set("../rules/rulesets/2026.1")

    def _parse(self, domains: dict[str, Any], **extra: Any) -> RuleSet:
        return service.parse_rule_set(
            json.dumps(
                {
                    "version": "test.1",
                    "title": "t",
                    "severity_thresholds": {"low": 1, "medium": 30, "high": 55, "critical": 80},
                    "domains": domains,
                    **extra,
                }
            )
        )

    def test_an_unknown_indicator_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match=r"housing\.roof_leaks: unknown indicator"):
            self._parse({"housing": {"rules": [single("roof_leaks", {"is": True})]}})

    def test_a_comparison_on_a_yes_no_indicator_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match="homeless_now: an indicator of type bool"):
            self._parse({"housing": {"rules": [single("homeless_now", {"gte": 1})]}})

    def test_a_yes_no_condition_on_a_number_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match=r"rent_arrears_months: .* int needs comparisons"):
            self._parse({"housing": {"rules": [single("rent_arrears_months", {"is": True})]}})

    def test_thresholds_must_increase(self) -> None:
        with pytest.raises(RuleSetError, match="thresholds must increase"):
            service.parse_rule_set(
                json.dumps(
                    {
                        "version": "t",
                        "title": "t",
                        "severity_thresholds": {"low": 1, "medium": 60, "high": 55, "critical": 80},
                        "domains": {},
                    }
                )
            )

    def test_a_rule_with_both_forms_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match="not both"):
            self._parse(
                {
                    "housing": {
                        "rules": [
                            {
                                "indicator": "rent_arrears_months",
                                "when": {"gte": 1},
                                "points": 5,
                                "bands": [{"when": {"gte": 3}, "points": 10}],
                            }
                        ]
                    }
                }
            )

    def test_an_indicator_twice_in_a_domain_is_refused(self) -> None:
        rule = single("overcrowded", {"is": True})
        with pytest.raises(RuleSetError, match="used twice"):
            self._parse({"housing": {"rules": [rule, rule]}})

    def test_an_unknown_domain_is_refused(self) -> None:
        with pytest.raises(RuleSetError, match="malformed"):
            self._parse({"education": {"rules": []}})

    def test_bands_count_the_first_match_only(self) -> None:
        rule_set = self._parse(
            {
                "caregiving": {
                    "rules": [
                        {
                            "indicator": "caregiver_age",
                            "bands": [
                                {"when": {"gte": 75}, "points": 40},
                                {"when": {"gte": 65}, "points": 20},
                            ],
                        }
                    ]
                }
            }
        )
        results = by_domain(service.score(rule_set, {"caregiver_age": 80}))

        assert results["caregiving"].score == 40
