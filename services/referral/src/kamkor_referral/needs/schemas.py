"""The shape of a needs mapping file and of the needs it yields."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, model_validator

from kamkor_common.events.schemas.referral import BedCategory, Priority
from kamkor_common.events.schemas.risk import Domain, Severity
from kamkor_referral.directory.schemas import ServiceType

SEVERITY_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
PRIORITY_RANK: dict[str, int] = {"routine": 1, "urgent": 2, "stat": 3}


class NeedRule(BaseModel):
    """A service a domain calls for, from a minimum severity up."""

    model_config = ConfigDict(extra="forbid")

    service_type: ServiceType
    min_severity: Severity = "medium"


class NeedsMapping(BaseModel):
    """One version of the flag → needs mapping (DESIGN §6), loaded from a data file."""

    model_config = ConfigDict(extra="forbid")

    version: str
    description: str = ""
    severity_priority: dict[Severity, Priority]
    domains: dict[Domain, list[NeedRule]]
    shelter_categories: dict[ServiceType, BedCategory]

    @model_validator(mode="after")
    def _every_need_has_a_priority(self) -> NeedsMapping:
        for domain, rules in self.domains.items():
            for rule in rules:
                floor = SEVERITY_RANK[rule.min_severity]
                missing = [
                    s
                    for s, rank in SEVERITY_RANK.items()
                    if rank >= floor and s not in self.severity_priority
                ]
                if missing:
                    raise ValueError(
                        f"{domain} → {rule.service_type} applies at {', '.join(missing)}, "
                        "which severity_priority does not map"
                    )
        return self


@dataclass
class Need:
    """A service type a flagged household needs, merged over all its domains."""

    service_type: str
    priority: Priority
    flag_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
