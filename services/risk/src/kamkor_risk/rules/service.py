"""Loading rule sets and scoring answers with them: pure functions, no database."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from importlib import resources

from pydantic import ValidationError

from kamkor_common.events.schemas.risk import Domain
from kamkor_common.indicators.schemas import AnswerValue
from kamkor_common.indicators.vocabulary import INDICATORS_BY_CODE
from kamkor_risk.rules.schemas import (
    DOMAINS,
    Condition,
    DomainScore,
    HardTrigger,
    Reason,
    RuleSet,
    severity_rank,
)

RULESETS_PACKAGE = "kamkor_risk.rules"
RULESETS_DIR = "rulesets"

# The floor that every rule set keeps (DESIGN §5). Applied in code after the rule set's
# own triggers, so a rule set that forgets or weakens one cannot lower these severities.
MANDATORY_TRIGGERS: tuple[HardTrigger, ...] = (
    HardTrigger(
        indicator="intends_to_give_up_newborn",
        when=Condition(is_=True),
        domain="maternal_newborn",
        severity="critical",
    ),
    HardTrigger(
        indicator="homeless_now", when=Condition(is_=True), domain="housing", severity="critical"
    ),
    HardTrigger(
        indicator="eviction_notice_days",
        when=Condition(lte=7),
        domain="housing",
        severity="critical",
    ),
    HardTrigger(
        indicator="child_works_hazardous",
        when=Condition(is_=True),
        domain="child_protection",
        severity="high",
    ),
    HardTrigger(
        indicator="domestic_violence_signs",
        when=Condition(is_=True),
        domain="child_protection",
        severity="high",
    ),
)


class RuleSetError(ValueError):
    """A rule set that cannot be used: unreadable, malformed, or off the vocabulary."""


def available_versions() -> list[str]:
    """The versions of the rule sets shipped with the service."""
    folder = resources.files(RULESETS_PACKAGE) / RULESETS_DIR
    return sorted(
        entry.name.removesuffix(".json")
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )


def load_rule_set(version: str) -> RuleSet:
    """Read, validate and check the shipped rule set of that version."""
    if version not in available_versions():
        raise RuleSetError(
            f"no rule set {version!r}; shipped: {', '.join(available_versions()) or 'none'}"
        )
    path = resources.files(RULESETS_PACKAGE) / RULESETS_DIR / f"{version}.json"
    rule_set = parse_rule_set(path.read_text(encoding="utf-8"))
    if rule_set.version != version:
        raise RuleSetError(f"file {version}.json declares version {rule_set.version!r}")
    check_hard_triggers(rule_set)
    return rule_set


def parse_rule_set(text: str) -> RuleSet:
    """Validate a rule set's JSON and check it against the indicator vocabulary."""
    try:
        rule_set = RuleSet.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise RuleSetError(f"malformed rule set: {exc}") from exc
    check_rule_set(rule_set)
    return rule_set


def check_rule_set(rule_set: RuleSet) -> None:
    """Every rule names a known indicator, once per domain, with a condition of its type."""
    problems: list[str] = []
    for domain, domain_rules in rule_set.domains.items():
        seen: set[str] = set()
        for rule in domain_rules.rules:
            where = f"{domain}.{rule.indicator}"
            if rule.indicator in seen:
                problems.append(f"{where}: indicator used twice in the domain (use bands)")
            seen.add(rule.indicator)
            problems += _condition_problems(
                where, rule.indicator, [b.when for b in rule.all_bands()]
            )
    for trigger in rule_set.hard_triggers:
        where = f"hard_triggers.{trigger.domain}.{trigger.indicator}"
        problems += _condition_problems(where, trigger.indicator, [trigger.when])
    if problems:
        raise RuleSetError(f"rule set {rule_set.version}: " + "; ".join(problems))


def _condition_problems(where: str, code: str, conditions: list[Condition]) -> list[str]:
    indicator = INDICATORS_BY_CODE.get(code)
    if indicator is None:
        return [f"{where}: unknown indicator"]
    wanted = "bool" if indicator.type == "bool" else "number"
    if any(c.kind != wanted for c in conditions):
        needs = "`is`" if wanted == "bool" else "comparisons"
        return [f"{where}: an indicator of type {indicator.type} needs {needs}"]
    return []


def trigger_cases(trigger: HardTrigger) -> list[dict[str, AnswerValue]]:
    """Every answer that fires the trigger, alone: yes for a yes/no indicator, else each value.

    Alone is the hardest case: rules give no negative points, so further answers can only
    raise a domain.
    """
    indicator = INDICATORS_BY_CODE[trigger.indicator]
    if indicator.type == "bool":
        candidates: list[AnswerValue] = [True, False]
    else:
        assert indicator.minimum is not None and indicator.maximum is not None
        low, high = math.ceil(indicator.minimum), math.floor(indicator.maximum)
        step = 1.0 if indicator.type == "int" else 0.5
        candidates = []
        value = float(low)
        while value <= high:
            candidates.append(int(value) if indicator.type == "int" else value)
            value += step
    return [{trigger.indicator: v} for v in candidates if trigger.when.matches(v)]


def check_hard_triggers(rule_set: RuleSet) -> None:
    """Refuse a rule set that by its own rules lets an answer of DESIGN §5 score below its floor.

    The code floor would still lift such a screening, but a rule set that needs it to is
    wrong as published (its points and triggers say something else than what is applied).
    """
    problems: list[str] = []
    for trigger in MANDATORY_TRIGGERS:
        for answers in trigger_cases(trigger):
            result = next(
                r for r in score(rule_set, answers, floors=False) if r.domain == trigger.domain
            )
            if severity_rank(result.severity) < severity_rank(trigger.severity):
                value = answers[trigger.indicator]
                problems.append(
                    f"{trigger.indicator}={json.dumps(value)} gives {trigger.domain} "
                    f"{result.severity}, the floor is {trigger.severity}"
                )
                break  # one case per trigger is enough to say what is wrong
    if problems:
        raise RuleSetError(
            f"rule set {rule_set.version} breaks hard triggers: " + "; ".join(problems)
        )


def score(
    rule_set: RuleSet, answers: Mapping[str, AnswerValue], *, floors: bool = True
) -> list[DomainScore]:
    """Score every domain: points of the matching rules, then the hard-trigger floors.

    `floors=False` leaves out the code's mandatory triggers: what the rule set alone says.
    """
    triggers = [*rule_set.hard_triggers, *(MANDATORY_TRIGGERS if floors else ())]
    return [
        _score_domain(rule_set, domain, answers, [t for t in triggers if t.domain == domain])
        for domain in DOMAINS
    ]


def _score_domain(
    rule_set: RuleSet,
    domain: Domain,
    answers: Mapping[str, AnswerValue],
    triggers: list[HardTrigger],
) -> DomainScore:
    thresholds = rule_set.thresholds_for(domain)
    domain_rules = rule_set.domains.get(domain)
    reasons: dict[str, Reason] = {}
    for rule in domain_rules.rules if domain_rules is not None else ():
        value = answers.get(rule.indicator)
        if value is None:
            continue
        points = rule.points_for(value)
        if points > 0:
            reasons[rule.indicator] = _reason(rule.indicator, value, points)
    total = min(100, sum(r.points for r in reasons.values()))
    severity = thresholds.severity_of(total)

    for trigger in triggers:
        value = answers.get(trigger.indicator)
        if value is None or not trigger.when.matches(value):
            continue
        reason = reasons.get(trigger.indicator) or _reason(trigger.indicator, value, 0)
        if severity_rank(trigger.severity) > severity_rank(severity):
            # Lift the score to the severity's threshold so that score and severity agree.
            lift = thresholds.minimum(trigger.severity) - total
            reason = reason.model_copy(update={"points": reason.points + lift})
            total += lift
            severity = trigger.severity
        reasons[trigger.indicator] = reason.model_copy(update={"hard_trigger": True})

    ordered = sorted(reasons.values(), key=lambda r: -r.points)
    return DomainScore(domain=domain, score=total, severity=severity, reasons=ordered)


def _reason(code: str, value: AnswerValue, points: int) -> Reason:
    return Reason(indicator=code, points=points, value=value, label=INDICATORS_BY_CODE[code].label)
