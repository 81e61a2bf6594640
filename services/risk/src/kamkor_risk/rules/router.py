"""Rule sets: `/api/v1/risk/rule-sets` — the loaded versions, activation, and back-tests."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from kamkor_common.auth import CurrentPrincipal, Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.errors import PROBLEM_JSON, PROBLEM_REF
from kamkor_common.pagination import PageParams, page_params
from kamkor_risk.rules import activation, backtest
from kamkor_risk.rules.dependencies import ActiveRuleSet, Catalogue
from kamkor_risk.rules.schemas import (
    ActivationList,
    ActivationRead,
    ActivationRequest,
    BacktestRequest,
    BacktestResult,
    RuleSet,
    RuleSetDetail,
    RuleSetList,
)

router = APIRouter(prefix="/api/v1/risk/rule-sets", tags=["rule sets"])

Admin = Annotated[Principal, Depends(require_roles("admin"))]
# Supervisors back-test over their own region; analysts have the published statistics,
# whose small counts are suppressed (decision 0021).
BackTester = Annotated[Principal, Depends(require_roles("admin", "supervisor"))]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
    }


UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: _problem("The active version is not loaded by this process: `rule_set_unavailable`.")
}
ACTIVATION: dict[int | str, dict[str, Any]] = {
    409: _problem(
        "`rule_set_changed` (another version is active than `expected_version`) or "
        "`rule_set_already_active`."
    ),
    412: _problem("If-Match names an older revision: `version_mismatch`."),
    428: _problem("Neither If-Match nor `expected_version` was sent: `if_match_required`."),
}


@router.get("", response_model=RuleSetList)
async def list_rule_sets(
    _principal: CurrentPrincipal, session: SessionDep, catalogue: Catalogue, response: Response
) -> RuleSetList:
    """Every loaded rule set with its checksum and origin; which one is active, since when, by whom.

    The ETag is the activation revision: send it as If-Match to activate.
    """
    listed = await activation.list_rule_sets(session, catalogue)
    response.headers["ETag"] = activation.etag(listed.revision)
    return listed


@router.get(
    "/active", response_model=RuleSet, response_model_exclude_none=True, responses=UNAVAILABLE
)
async def get_active(_principal: CurrentPrincipal, rule_set: ActiveRuleSet) -> RuleSet:
    """The active rule set as published: rules, thresholds and hard triggers."""
    return rule_set


@router.get("/activations", response_model=ActivationList)
async def list_activations(
    _principal: Admin, session: SessionDep, page: PageParams = Depends(page_params)
) -> ActivationList:
    """The audit of activations, newest first: who, when, from which version, to which, why."""
    return await activation.list_activations(session, limit=page.limit, offset=page.offset)


@router.get("/{version}", response_model=RuleSetDetail, response_model_exclude_none=True)
async def get_rule_set(
    version: str,
    _principal: CurrentPrincipal,
    session: SessionDep,
    catalogue: Catalogue,
    response: Response,
) -> RuleSetDetail:
    """One loaded rule set: its rules, thresholds and hard triggers."""
    detail, revision = await activation.get_rule_set(session, catalogue, version)
    response.headers["ETag"] = activation.etag(revision)
    return detail


@router.post("/{version}/activate", response_model=ActivationRead, responses=ACTIVATION)
async def activate(
    version: str,
    activation_in: ActivationRequest,
    principal: Admin,
    session: SessionDep,
    catalogue: Catalogue,
    response: Response,
    if_match: IfMatch = None,
) -> ActivationRead:
    """Make a loaded rule set the one new screenings use (admin; reason required, audited).

    Send If-Match with the list's ETag or `expected_version`: 412 or 409 when another
    activation came first, 428 when neither is sent.
    """
    activated, revision = await activation.activate(
        session=session,
        catalogue=catalogue,
        version=version,
        request=activation_in,
        if_match=if_match,
        principal=principal,
    )
    response.headers["ETag"] = activation.etag(revision)
    return activated


@router.post("/{version}/backtest", response_model=BacktestResult, responses=UNAVAILABLE)
async def run_backtest(
    version: str,
    backtest_in: BacktestRequest,
    request: Request,
    principal: BackTester,
    session: SessionDep,
    catalogue: Catalogue,
) -> BacktestResult:
    """Re-score stored screenings with this rule set and the active one and compare them."""
    settings = request.app.state.settings
    return await backtest.backtest(
        session=session,
        catalogue=catalogue,
        version=version,
        request=backtest_in,
        principal=principal,
        batch_size=settings.BACKTEST_BATCH_SIZE,
        max_screenings=settings.BACKTEST_MAX_SCREENINGS,
    )
