"""Properties of scoring: more risk never scores lower, scores and severities stay coherent.

Answers are drawn from the indicator vocabulary itself (codes, types and ranges), so a new
indicator is covered as soon as it is added; a numeric one must also say below which way
its risk grows (`RISK_DIRECTION`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamkor_common.events.schemas.risk import Severity
from kamkor_common.indicators.schemas import AnswerValue, Indicator
from kamkor_common.indicators.vocabulary import INDICATORS, INDICATORS_BY_CODE
from kamkor_risk.indicators.service import validate_answers
from kamkor_risk.rules import service
from kamkor_risk.rules.schemas import (
    DOMAINS,
    DomainScore,
    RuleSet,
    SeverityThresholds,
    severity_rank,
)

SHIPPED: tuple[RuleSet, ...] = tuple(
    service.load_rule_set(version) for version in service.available_versions()
)
PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=100)
# One indicator at a time: each of its band edges is met often enough.
PER_INDICATOR = settings(PROPERTY, max_examples=30)
# Generated rule sets are costly to draw; fewer examples still cover every trigger many times.
GENERATED = settings(PROPERTY, max_examples=50)

# Which way a numeric answer signals more risk. Every yes/no indicator names a risk, so
# `true` is the riskier answer. A caregiver of working age is the least risk: younger
# (a minor) or older (elderly) is more.
WORKING_AGE = (18, 64)
RISK_DIRECTION: dict[str, str] = {
    "monthly_income_per_person": "lower",
    "debt_arrears_months": "higher",
    "utility_arrears_months": "higher",
    "rent_arrears_months": "higher",
    "eviction_notice_days": "lower",
    "caregiver_stress": "higher",
    "caregiver_age": "away_from_working_age",
}


def bounds(indicator: Indicator) -> tuple[float, float]:
    assert indicator.minimum is not None and indicator.maximum is not None, indicator.code
    return indicator.minimum, indicator.maximum


def numbers(indicator: Indicator, low: float, high: float) -> st.SearchStrategy[AnswerValue]:
    """Answers of the indicator's numeric type between low and high (inclusive)."""
    integers = st.integers(math.ceil(low), math.floor(high))
    if indicator.type == "int":
        return integers
    floats = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return floats if math.ceil(low) > math.floor(high) else integers | floats


@functools.cache
def edges(indicator: Indicator) -> list[AnswerValue]:
    """The values where the shipped rule sets change their mind, and their neighbours."""
    low, high = bounds(indicator)
    conditions = [
        band.when
        for rule_set in SHIPPED
        for domain_rules in rule_set.domains.values()
        for rule in domain_rules.rules
        if rule.indicator == indicator.code
        for band in rule.all_bands()
    ] + [
        t.when
        for rule_set in SHIPPED
        for t in rule_set.hard_triggers
        if t.indicator == indicator.code
    ]
    points = {low, high}
    for condition in conditions:
        for bound in (condition.eq, condition.lt, condition.lte, condition.gt, condition.gte):
            if bound is not None:
                points |= {bound - 1, bound, bound + 1}
                if indicator.type == "number":
                    points |= {bound - 0.5, bound + 0.5}
    values = sorted(p for p in points if low <= p <= high)
    if indicator.type == "int":
        return sorted({int(v) for v in values if float(v).is_integer()})
    return values


def answer_of(indicator: Indicator) -> st.SearchStrategy[AnswerValue]:
    """Any valid answer to the indicator, often one on an edge of the rule sets' bands."""
    if indicator.type == "bool":
        return st.booleans()
    return st.sampled_from(edges(indicator)) | numbers(indicator, *bounds(indicator))


@st.composite
def few_answers(draw: st.DrawFn, max_size: int = 4) -> dict[str, AnswerValue]:
    """A questionnaire with only a few answers, so that no domain is already saturated."""
    chosen = draw(st.lists(st.sampled_from(INDICATORS), unique=True, max_size=max_size))
    return {indicator.code: draw(answer_of(indicator)) for indicator in chosen}


def answers_strategy() -> st.SearchStrategy[dict[str, AnswerValue]]:
    """A valid questionnaire: any subset of the vocabulary answered with values of its type."""
    many = st.fixed_dictionaries({}, optional={i.code: answer_of(i) for i in INDICATORS})
    # Checked as the API checks them: a strategy that drew an invalid answer fails loudly.
    return (few_answers() | many).map(validate_answers)


ANSWERS = answers_strategy()


def riskier_than(indicator: Indicator, value: AnswerValue | None) -> st.SearchStrategy[AnswerValue]:
    """Answers that signal at least as much risk as `value` (None: the question unasked)."""
    if indicator.type == "bool":
        return st.just(True)
    low, high = bounds(indicator)
    if value is None:
        return answer_of(indicator)
    assert not isinstance(value, bool)
    direction = RISK_DIRECTION[indicator.code]
    youngest, oldest = WORKING_AGE
    ranges = []
    if direction == "higher" or (direction == "away_from_working_age" and value >= youngest):
        ranges.append((value, high))
    if direction == "lower" or (direction == "away_from_working_age" and value <= oldest):
        ranges.append((low, value))
    assert ranges, (indicator.code, direction)
    options = []
    for start, end in ranges:
        near = [edge for edge in edges(indicator) if start <= edge <= end]
        options += [st.sampled_from(near)] if near else []
        options.append(numbers(indicator, start, end))
    return st.one_of(options)


def by_domain(results: list[DomainScore]) -> dict[str, DomainScore]:
    return {r.domain: r for r in results}


def assert_never_lower(before: Mapping[str, DomainScore], after: Mapping[str, DomainScore]) -> None:
    for domain in DOMAINS:
        old, new = before[domain], after[domain]
        assert new.score >= old.score, (domain, old, new)
        assert severity_rank(new.severity) >= severity_rank(old.severity), (domain, old, new)


class TestVocabularyCoverage:
    def test_every_numeric_indicator_says_which_way_risk_grows(self) -> None:
        numeric = {i.code for i in INDICATORS if i.type != "bool"}
        assert numeric == set(RISK_DIRECTION)

    def test_every_numeric_indicator_has_a_range(self) -> None:
        for indicator in INDICATORS:
            if indicator.type != "bool":
                low, high = bounds(indicator)
                assert low <= high


@pytest.mark.parametrize("rule_set", SHIPPED, ids=lambda r: r.version)
class TestMoreRiskNeverScoresLower:
    @pytest.mark.parametrize("indicator", INDICATORS, ids=lambda i: i.code)
    @PER_INDICATOR
    @given(answers=ANSWERS, data=st.data())
    def test_a_riskier_answer_never_lowers_any_domain(
        self, rule_set: RuleSet, indicator: Indicator, answers: dict[str, AnswerValue], data: Any
    ) -> None:
        before = data.draw(st.none() | answer_of(indicator), label="before")
        answers = {k: v for k, v in answers.items() if k != indicator.code}
        if before is not None:
            answers[indicator.code] = before
        riskier = data.draw(riskier_than(indicator, before), label="riskier")
        changed = validate_answers({**answers, indicator.code: riskier})

        assert_never_lower(
            by_domain(service.score(rule_set, answers)),
            by_domain(service.score(rule_set, changed)),
        )

    @PROPERTY
    @given(answers=ANSWERS, extra=ANSWERS)
    def test_answering_more_questions_never_lowers_any_domain(
        self, rule_set: RuleSet, answers: dict[str, AnswerValue], extra: dict[str, AnswerValue]
    ) -> None:
        # Only questions not asked before: the rule-set format has no protective factors,
        # so whatever a new answer says, it can only add points.
        more = {**{k: v for k, v in extra.items() if k not in answers}, **answers}

        assert_never_lower(
            by_domain(service.score(rule_set, answers)),
            by_domain(service.score(rule_set, more)),
        )

    @PROPERTY
    @given(answers=ANSWERS, data=st.data())
    def test_several_riskier_answers_at_once_never_lower_any_domain(
        self, rule_set: RuleSet, answers: dict[str, AnswerValue], data: Any
    ) -> None:
        codes = data.draw(
            st.lists(st.sampled_from([i.code for i in INDICATORS]), unique=True, max_size=8),
            label="codes",
        )
        changed = dict(answers)
        for code in codes:
            changed[code] = data.draw(
                riskier_than(INDICATORS_BY_CODE[code], answers.get(code)), label=code
            )
        changed = validate_answers(changed)

        assert_never_lower(
            by_domain(service.score(rule_set, answers)),
            by_domain(service.score(rule_set, changed)),
        )


# --- coherence, under the shipped rule sets and under any valid rule set ---------------


@st.composite
def thresholds_strategy(draw: st.DrawFn) -> SeverityThresholds:
    low, medium, high, critical = sorted(
        draw(st.lists(st.integers(1, 100), min_size=4, max_size=4, unique=True))
    )
    return SeverityThresholds(low=low, medium=medium, high=high, critical=critical)


def condition_of(indicator: Indicator) -> st.SearchStrategy[dict[str, Any]]:
    """A condition of the indicator's kind: `is` for yes/no, one or two comparisons else."""
    if indicator.type == "bool":
        return st.builds(lambda b: {"is": b}, st.booleans())
    bound = answer_of(indicator)
    ops = st.sampled_from(["eq", "lt", "lte", "gt", "gte"])
    return st.dictionaries(ops, bound, min_size=1, max_size=2)


@st.composite
def rule_sets(draw: st.DrawFn) -> RuleSet:
    """Any rule set the service would accept: random rules, bands, points and thresholds."""
    domains: dict[str, Any] = {}
    for domain in draw(st.lists(st.sampled_from(DOMAINS), unique=True)):
        codes = draw(
            st.lists(st.sampled_from([i.code for i in INDICATORS]), unique=True, max_size=8)
        )
        rules = []
        for code in codes:
            condition = condition_of(INDICATORS_BY_CODE[code])
            points = st.integers(0, 100)
            if draw(st.booleans()):
                rules.append({"indicator": code, "when": draw(condition), "points": draw(points)})
            else:
                bands = draw(
                    st.lists(
                        st.fixed_dictionaries({"when": condition, "points": points}),
                        min_size=1,
                        max_size=3,
                    )
                )
                rules.append({"indicator": code, "bands": bands})
        own = draw(st.none() | thresholds_strategy())
        domains[domain] = {
            "rules": rules,
            **({"severity_thresholds": own.model_dump()} if own is not None else {}),
        }
    triggers = draw(
        st.lists(
            st.sampled_from(INDICATORS).flatmap(
                lambda i: st.fixed_dictionaries(
                    {
                        "indicator": st.just(i.code),
                        "when": condition_of(i),
                        "domain": st.sampled_from(DOMAINS),
                        "severity": st.sampled_from(["medium", "high", "critical"]),
                    }
                )
            ),
            max_size=3,
        )
    )
    rule_set = RuleSet.model_validate(
        {
            "version": "generated",
            "title": "generated",
            "severity_thresholds": draw(thresholds_strategy()).model_dump(),
            "domains": domains,
            "hard_triggers": triggers,
        }
    )
    service.check_rule_set(rule_set)
    return rule_set


ANY_RULE_SET = st.sampled_from(SHIPPED) | rule_sets()


class TestScoresAreCoherent:
    @GENERATED
    @given(rule_set=ANY_RULE_SET, answers=ANSWERS)
    def test_scores_stay_within_0_and_100_and_match_their_severity_band(
        self, rule_set: RuleSet, answers: dict[str, AnswerValue]
    ) -> None:
        results = service.score(rule_set, answers)

        assert [r.domain for r in results] == list(DOMAINS)
        for result in results:
            assert 0 <= result.score <= 100, result
            thresholds = rule_set.thresholds_for(result.domain)
            assert result.severity == thresholds.severity_of(result.score), result

    @GENERATED
    @given(rule_set=ANY_RULE_SET, answers=ANSWERS)
    def test_reasons_name_given_answers_and_exist_exactly_when_there_is_a_score(
        self, rule_set: RuleSet, answers: dict[str, AnswerValue]
    ) -> None:
        for result in service.score(rule_set, answers):
            codes = result.reason_codes()
            assert len(codes) == len(set(codes)), result
            for reason in result.reasons:
                assert reason.value == answers[reason.indicator]
                assert reason.points >= 0
                assert reason.label == INDICATORS_BY_CODE[reason.indicator].label
            assert bool(result.reasons) == (result.score > 0), result


EVICTION = INDICATORS_BY_CODE["eviction_notice_days"]
# DESIGN §5: (answer that fires it, the domain, its lowest severity).
TRIGGERS = [
    ("intends_to_give_up_newborn", st.just(True), "maternal_newborn", "critical"),
    ("homeless_now", st.just(True), "housing", "critical"),
    (
        "eviction_notice_days",
        st.sampled_from([7, 0]) | numbers(EVICTION, 0, 7),
        "housing",
        "critical",
    ),
    ("child_works_hazardous", st.just(True), "child_protection", "high"),
    ("domestic_violence_signs", st.just(True), "child_protection", "high"),
]


class TestHardTriggersAlwaysHold:
    @pytest.mark.parametrize(
        ("code", "value", "domain", "floor"), TRIGGERS, ids=[t[0] for t in TRIGGERS]
    )
    @PER_INDICATOR
    @given(rule_set=ANY_RULE_SET, answers=ANSWERS, data=st.data())
    def test_a_trigger_answer_puts_its_domain_at_its_floor_or_above(
        self,
        code: str,
        value: st.SearchStrategy[AnswerValue],
        domain: str,
        floor: Severity,
        rule_set: RuleSet,
        answers: dict[str, AnswerValue],
        data: Any,
    ) -> None:
        answers = validate_answers({**answers, code: data.draw(value, label=code)})
        result = by_domain(service.score(rule_set, answers))[domain]

        assert severity_rank(result.severity) >= severity_rank(floor), (answers, result)
        assert any(r.indicator == code and r.hard_trigger for r in result.reasons), result
