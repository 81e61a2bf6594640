"""The active rule set, loaded once when the app is built and kept on its state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kamkor_risk.rules.schemas import RuleSet


async def get_active_rule_set(request: Request) -> RuleSet:
    rule_set: RuleSet = request.app.state.rule_set
    return rule_set


ActiveRuleSet = Annotated[RuleSet, Depends(get_active_rule_set)]
