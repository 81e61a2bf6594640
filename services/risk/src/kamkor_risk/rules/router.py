"""`GET /api/v1/risk/rule-sets/active`: the published rule set that scores screenings."""

from __future__ import annotations

from fastapi import APIRouter

from kamkor_common.auth import CurrentPrincipal
from kamkor_risk.rules.dependencies import ActiveRuleSet
from kamkor_risk.rules.schemas import RuleSet

router = APIRouter(prefix="/api/v1/risk/rule-sets", tags=["rule sets"])


@router.get("/active", response_model=RuleSet, response_model_exclude_none=True)
async def get_active(_principal: CurrentPrincipal, rule_set: ActiveRuleSet) -> RuleSet:
    """The active rule set as published: rules, thresholds and hard triggers."""
    return rule_set
