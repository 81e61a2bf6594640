"""The active rule set as the database says, listing the loaded ones, and activating one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import (
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
)
from kamkor_risk.rules import repository
from kamkor_risk.rules.catalogue import LoadedRuleSet, RuleSetCatalogue
from kamkor_risk.rules.models import RuleSetActivation, RuleSetState
from kamkor_risk.rules.schemas import (
    ActivationList,
    ActivationRead,
    ActivationRequest,
    RuleSet,
    RuleSetDetail,
    RuleSetList,
    RuleSetSummary,
)
from kamkor_risk.rules.service import check_hard_triggers


class RuleSetNotFound(NotFound):
    code = "rule_set_not_found"
    title = "No such rule set is loaded"


class RuleSetUnavailable(ServiceUnavailable):
    code = "rule_set_unavailable"
    title = "The active rule set is not loaded by this process"


class RuleSetChanged(Conflict):
    code = "rule_set_changed"
    title = "Another rule set is active than the one expected"


class RuleSetAlreadyActive(Conflict):
    code = "rule_set_already_active"
    title = "That rule set is already active"


class RuleSetStale(PreconditionFailed):
    code = "version_mismatch"
    title = "The active rule set has changed since it was read"


class ExpectationRequired(PreconditionRequired):
    code = "if_match_required"
    title = "Send If-Match with the list's ETag, or expected_version"


def etag(revision: int) -> str:
    return f'"{revision}"'


async def current_state(session: AsyncSession, catalogue: RuleSetCatalogue) -> RuleSetState:
    return await repository.state(session, catalogue.default_version)


async def active_rule_set(session: AsyncSession, catalogue: RuleSetCatalogue) -> RuleSet:
    """The rule set that scores a screening made in this transaction.

    Read from the database every time (one primary-key read), so that every process uses
    the version activated last, from its next screening on, without a restart.
    """
    state = await current_state(session, catalogue)
    loaded = catalogue.by_version.get(state.version)
    if loaded is None:
        raise RuleSetUnavailable(
            f"rule set {state.version} is active but this process has not loaded it; "
            "deploy its file or activate a loaded one"
        )
    return loaded.rule_set


def get_loaded(catalogue: RuleSetCatalogue, version: str) -> LoadedRuleSet:
    loaded = catalogue.by_version.get(version)
    if loaded is None:
        raise RuleSetNotFound(f"no rule set {version!r}; loaded: {', '.join(catalogue)}")
    return loaded


async def list_rule_sets(session: AsyncSession, catalogue: RuleSetCatalogue) -> RuleSetList:
    state = await current_state(session, catalogue)
    items = []
    for version in catalogue:
        loaded = catalogue[version]
        active = version == state.version
        items.append(
            RuleSetSummary(
                version=version,
                title=loaded.rule_set.title,
                published=loaded.rule_set.published,
                description=loaded.rule_set.description,
                checksum=loaded.checksum,
                loaded_from=loaded.loaded_from,
                active=active,
                active_since=state.active_since if active else None,
                activated_by=state.activated_by if active else None,
            )
        )
    return RuleSetList(items=items, active_version=state.version, revision=state.revision)


async def get_rule_set(
    session: AsyncSession, catalogue: RuleSetCatalogue, version: str
) -> tuple[RuleSetDetail, int]:
    loaded = get_loaded(catalogue, version)
    state = await current_state(session, catalogue)
    detail = RuleSetDetail(
        **loaded.rule_set.model_dump(by_alias=True),
        checksum=loaded.checksum,
        loaded_from=loaded.loaded_from,
        active=version == state.version,
    )
    return detail, state.revision


def _check_expectation(
    state: RuleSetState, *, if_match: str | None, expected_version: str | None
) -> None:
    if if_match is None and expected_version is None:
        raise ExpectationRequired(
            "send If-Match with the ETag of GET /api/v1/risk/rule-sets, or expected_version"
        )
    if if_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        if "*" not in tags and etag(state.revision) not in tags:
            raise RuleSetStale(
                f"the rule sets are at revision {state.revision} (active {state.version})",
                revision=state.revision,
                active_version=state.version,
            )
    if expected_version is not None and expected_version != state.version:
        raise RuleSetChanged(
            f"rule set {state.version} is active, not {expected_version}",
            active_version=state.version,
            revision=state.revision,
        )


async def activate(
    *,
    session: AsyncSession,
    catalogue: RuleSetCatalogue,
    version: str,
    request: ActivationRequest,
    if_match: str | None,
    principal: Principal,
) -> tuple[ActivationRead, int]:
    """Switch the active version, if the caller saw the current one; audited in one transaction."""
    loaded = get_loaded(catalogue, version)
    state = await current_state(session, catalogue)
    _check_expectation(state, if_match=if_match, expected_version=request.expected_version)
    if state.version == version:
        raise RuleSetAlreadyActive(f"rule set {version} is already active", revision=state.revision)
    check_hard_triggers(loaded.rule_set)  # loaded files passed already; kept as a guard
    previous, revision, now = state.version, state.revision, utcnow()
    if not await repository.switch(
        session, expected_revision=revision, version=version, by=principal.subject, at=now
    ):
        # Another activation committed between our read and our write.
        fresh = await current_state(session, catalogue)
        raise RuleSetStale(
            f"the rule sets changed meanwhile (active {fresh.version})",
            revision=fresh.revision,
            active_version=fresh.version,
        )
    activation = RuleSetActivation(
        id=str(uuid.uuid4()),
        from_version=previous,
        to_version=version,
        revision=revision + 1,
        reason=request.reason,
        activated_by=principal.subject,
        role=principal.role,
        activated_at=now,
    )
    await repository.add_activation(session, activation)
    return ActivationRead.model_validate(activation, from_attributes=True), revision + 1


async def list_activations(session: AsyncSession, *, limit: int, offset: int) -> ActivationList:
    rows, total = await repository.list_activations(session, limit=limit, offset=offset)
    return ActivationList(
        items=[ActivationRead.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
