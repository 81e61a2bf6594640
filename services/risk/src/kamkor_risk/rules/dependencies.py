"""The loaded rule sets (on the app's state) and the active one (as the database says)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kamkor_common.db import SessionDep
from kamkor_risk.rules import activation
from kamkor_risk.rules.catalogue import RuleSetCatalogue
from kamkor_risk.rules.schemas import RuleSet


async def get_catalogue(request: Request) -> RuleSetCatalogue:
    catalogue: RuleSetCatalogue = request.app.state.rule_sets
    return catalogue


Catalogue = Annotated[RuleSetCatalogue, Depends(get_catalogue)]


async def get_active_rule_set(session: SessionDep, catalogue: Catalogue) -> RuleSet:
    """Read in the request's own transaction: the screening records the version it used."""
    return await activation.active_rule_set(session, catalogue)


ActiveRuleSet = Annotated[RuleSet, Depends(get_active_rule_set)]
