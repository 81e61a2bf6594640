"""What the analysts' risk aggregates answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from kamkor_common.disclosure import Breakdown, CountTableRead, DisclosureRule
from kamkor_common.events.schemas.risk import Domain


class DomainTable(BaseModel):
    """One domain's table: places by severity."""

    domain: Domain
    table: CountTableRead


class RiskStats(BaseModel):
    """Counts by place, domain and severity, one table per domain, each protected on its own."""

    counted: str = Field(description="What one unit of every count is.")
    breakdown: Breakdown
    rule: DisclosureRule
    domains: list[DomainTable]
