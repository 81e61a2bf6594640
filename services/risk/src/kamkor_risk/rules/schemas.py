"""The rule-set format: per domain, weighted indicator conditions and severity thresholds.

A rule set is data (a JSON file in `rulesets/`). Each domain sums the points of its
matching rules into a score from 0 to 100; the thresholds turn the score into a severity.
A rule either has one condition (`when` + `points`) or ordered `bands`, of which the
first that matches counts. Hard triggers set a minimum severity for a domain.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from kamkor_common.events.schemas.risk import Domain, Severity
from kamkor_common.indicators.schemas import AnswerValue, Label
from kamkor_common.inputs import NoteText, PlainText
from kamkor_common.pagination import Page

DOMAINS: tuple[Domain, ...] = get_args(Domain)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
FlaggingSeverity = Literal["medium", "high", "critical"]
ThresholdSeverity = Literal["low", "medium", "high", "critical"]


def severity_rank(severity: Severity) -> int:
    """none < low < medium < high < critical."""
    return SEVERITIES.index(severity)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Frozen):
    """What an answer must be: `is` for yes/no indicators, comparisons for numbers (all hold)."""

    is_: bool | None = Field(default=None, alias="is")
    eq: float | None = None
    lt: float | None = None
    lte: float | None = None
    gt: float | None = None
    gte: float | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Condition:
        numeric = [v for v in (self.eq, self.lt, self.lte, self.gt, self.gte) if v is not None]
        if self.is_ is None and not numeric:
            raise ValueError("a condition needs `is` or at least one comparison")
        if self.is_ is not None and numeric:
            raise ValueError("`is` cannot be combined with comparisons")
        return self

    @property
    def kind(self) -> Literal["bool", "number"]:
        return "bool" if self.is_ is not None else "number"

    def matches(self, value: AnswerValue) -> bool:
        if self.is_ is not None:
            return isinstance(value, bool) and value is self.is_
        if isinstance(value, bool):
            return False
        checks = (
            (self.eq, lambda bound: value == bound),
            (self.lt, lambda bound: value < bound),
            (self.lte, lambda bound: value <= bound),
            (self.gt, lambda bound: value > bound),
            (self.gte, lambda bound: value >= bound),
        )
        return all(check(bound) for bound, check in checks if bound is not None)


class Band(_Frozen):
    when: Condition
    points: int = Field(ge=0, le=100)


class Rule(_Frozen):
    """Points for one indicator: a single condition, or bands of which the first match counts."""

    indicator: str
    when: Condition | None = None
    points: int | None = Field(default=None, ge=0, le=100)
    bands: list[Band] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        single = self.when is not None or self.points is not None
        if single and self.bands is not None:
            raise ValueError(f"rule for {self.indicator}: use `when`+`points` or `bands`, not both")
        if single and (self.when is None or self.points is None):
            raise ValueError(f"rule for {self.indicator}: `when` and `points` go together")
        if not single and not self.bands:
            raise ValueError(f"rule for {self.indicator}: give `when`+`points` or `bands`")
        return self

    def all_bands(self) -> list[Band]:
        if self.bands is not None:
            return list(self.bands)
        assert self.when is not None and self.points is not None
        return [Band(when=self.when, points=self.points)]

    def points_for(self, value: AnswerValue) -> int:
        """The points of the first band that matches, or 0."""
        for band in self.all_bands():
            if band.when.matches(value):
                return band.points
        return 0


class SeverityThresholds(_Frozen):
    """The lowest score of each severity; a score below `low` is `none`."""

    low: int = Field(ge=1, le=100)
    medium: int = Field(ge=1, le=100)
    high: int = Field(ge=1, le=100)
    critical: int = Field(ge=1, le=100)

    @model_validator(mode="after")
    def _increasing(self) -> SeverityThresholds:
        if not self.low < self.medium < self.high < self.critical:
            raise ValueError("thresholds must increase: low < medium < high < critical")
        return self

    def severity_of(self, score: int) -> Severity:
        order: tuple[ThresholdSeverity, ...] = ("critical", "high", "medium", "low")
        for severity in order:
            if score >= self.minimum(severity):
                return severity
        return "none"

    def minimum(self, severity: ThresholdSeverity) -> int:
        value: int = getattr(self, severity)
        return value


class DomainRules(_Frozen):
    severity_thresholds: SeverityThresholds | None = None
    rules: list[Rule] = []


class HardTrigger(_Frozen):
    """An answer that puts a domain at a severity or above, whatever the points say."""

    indicator: str
    when: Condition
    domain: Domain
    severity: FlaggingSeverity


class RuleSet(_Frozen):
    version: str = Field(pattern=r"^[0-9A-Za-z._-]+$", max_length=40)
    title: str
    published: date | None = None
    description: str | None = None
    severity_thresholds: SeverityThresholds
    domains: dict[Domain, DomainRules]
    hard_triggers: list[HardTrigger] = []

    def thresholds_for(self, domain: Domain) -> SeverityThresholds:
        rules = self.domains.get(domain)
        if rules is not None and rules.severity_thresholds is not None:
            return rules.severity_thresholds
        return self.severity_thresholds


class Reason(BaseModel):
    """One indicator that contributed to a domain's result."""

    indicator: str
    points: int
    value: AnswerValue
    label: Label
    hard_trigger: bool = False


class DomainScore(BaseModel):
    domain: Domain
    score: int
    severity: Severity
    reasons: list[Reason]

    def reason_codes(self) -> list[str]:
        return [r.indicator for r in self.reasons]


# --- managing rule sets: the list, activation, back-test ------------------------------


class RuleSetSummary(BaseModel):
    version: str
    title: str
    published: date | None = None
    description: str | None = None
    checksum: str = Field(description="`sha256:` and the digest of the file as loaded.")
    loaded_from: str = Field(description="`shipped:<file>` or the path of a RULE_SET_DIR file.")
    active: bool
    active_since: datetime | None = Field(
        default=None, description="When the active version became active; null for the others."
    )
    activated_by: str | None = Field(
        default=None,
        description="Who activated the active version (`configuration`: the start value).",
    )


class RuleSetList(BaseModel):
    items: list[RuleSetSummary]
    active_version: str
    revision: int = Field(description="Raised by every activation; the ETag is its quoted value.")


class RuleSetDetail(RuleSet):
    """A rule set as published, with where it came from and whether it is active."""

    checksum: str
    loaded_from: str
    active: bool


class ActivationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: NoteText = Field(min_length=3, max_length=2000)
    expected_version: PlainText | None = Field(
        default=None,
        max_length=40,
        description="The version the caller believes active; 409 if another is. "
        "Either this or If-Match (the list's ETag) is required.",
    )


class ActivationRead(BaseModel):
    id: str
    from_version: str | None
    to_version: str
    revision: int
    reason: str
    activated_by: str
    role: str
    activated_at: datetime


class ActivationList(Page[ActivationRead]):
    pass


class BacktestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    region: PlainText | None = Field(default=None, max_length=16)
    since: AwareDatetime | None = Field(
        default=None, description="Screenings from (inclusive); with a time zone."
    )
    until: AwareDatetime | None = Field(
        default=None, description="Screenings before (exclusive); with a time zone."
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=10_000_000,
        description="The most screenings to re-score (in household order); "
        "at most the service's BACKTEST_MAX_SCREENINGS, which is also the default.",
    )
    households_limit: int = Field(
        default=100, ge=0, le=1000, description="The most changed households listed."
    )


SeverityCounts = dict[Severity, int]
HouseholdChangeKind = Literal["opened", "closed", "severity_up", "severity_down"]


class DomainChange(BaseModel):
    domain: Domain
    change: HouseholdChangeKind
    active_severity: Severity
    candidate_severity: Severity


class ChangedHousehold(BaseModel):
    household_id: str
    screening_id: str = Field(description="The household's latest screening in the window.")
    changes: list[DomainChange]


class BacktestResult(BaseModel):
    candidate_version: str
    active_version: str
    screenings: int = Field(description="Screenings re-scored.")
    households: int = Field(description="Households they belong to.")
    truncated: bool = Field(
        description="True when more screenings matched than the limit; the rest were not read."
    )
    active: dict[Domain, SeverityCounts] = Field(
        description="Screenings by domain and severity under the active rule set."
    )
    candidate: dict[Domain, SeverityCounts]
    difference: dict[Domain, SeverityCounts] = Field(description="Candidate minus active.")
    flag_changes: dict[Domain, dict[HouseholdChangeKind, int]] = Field(
        description="Households whose flag would open, close, go up or down, by domain "
        "(judged on each household's latest screening in the window)."
    )
    changed_households_total: int
    changed_households: list[ChangedHousehold] = Field(
        description="The first `households_limit` changed households, by household id."
    )
