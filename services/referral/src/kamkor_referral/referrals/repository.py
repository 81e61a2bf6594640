"""Every query of referrals and their routing attempts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col

from kamkor_common.auth import PlaceScope
from kamkor_referral.referrals.models import Referral, RoutingAttempt
from kamkor_referral.referrals.states import ACTIVE, AttemptOutcome, ReferralStatus


async def get(
    session: AsyncSession, referral_id: str, *, for_update: bool = False
) -> Referral | None:
    """A referral; locked until the transaction ends when it is about to change."""
    query = select(Referral).where(col(Referral.id) == referral_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).one_or_none()


async def get_active_for_need(
    session: AsyncSession, *, household_id: str, service_type: str
) -> Referral | None:
    """The household's active referral for the service type, locked, if there is one."""
    return (
        await session.scalars(
            select(Referral)
            .where(
                col(Referral.household_id) == household_id,
                col(Referral.service_type) == service_type,
                col(Referral.status).in_(ACTIVE),
            )
            .with_for_update()
        )
    ).one_or_none()


async def list_referrals(
    session: AsyncSession,
    *,
    household_id: str | None = None,
    status: str | None = None,
    service_type: str | None = None,
    scope: PlaceScope | None = None,
    organization_id: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Referral], int]:
    """One page of referrals, newest first, and how many match in all (within the scope)."""
    query = select(Referral)
    if scope is not None and not scope.everywhere:
        query = query.where(col(Referral.region) == scope.region)
        if scope.districts:
            query = query.where(col(Referral.district).in_(scope.districts))
    if household_id is not None:
        query = query.where(col(Referral.household_id) == household_id)
    if status is not None:
        query = query.where(col(Referral.status) == status)
    if service_type is not None:
        query = query.where(col(Referral.service_type) == service_type)
    if organization_id is not None:
        query = query.where(col(Referral.organization_id) == organization_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Referral.created_at).desc(), col(Referral.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def attempts_of(
    session: AsyncSession, referral_ids: Sequence[str]
) -> dict[str, list[RoutingAttempt]]:
    """The attempts of each referral, first attempt first."""
    found: dict[str, list[RoutingAttempt]] = defaultdict(list)
    if not referral_ids:
        return found
    rows = await session.scalars(
        select(RoutingAttempt)
        .where(col(RoutingAttempt.referral_id).in_(referral_ids))
        .order_by(col(RoutingAttempt.referral_id), col(RoutingAttempt.number))
    )
    for attempt in rows:
        found[attempt.referral_id].append(attempt)
    return found


async def current_attempts(
    session: AsyncSession, referral_ids: Sequence[str]
) -> dict[str, RoutingAttempt]:
    """Each referral's current attempt: the one its attempts count points at."""
    if not referral_ids:
        return {}
    rows = await session.scalars(
        select(RoutingAttempt)
        .join(
            Referral,
            (col(Referral.id) == col(RoutingAttempt.referral_id))
            & (col(Referral.attempts_count) == col(RoutingAttempt.number)),
        )
        .where(col(Referral.id).in_(referral_ids))
    )
    return {attempt.referral_id: attempt for attempt in rows}


async def current_attempt(session: AsyncSession, referral: Referral) -> RoutingAttempt | None:
    """The referral's current attempt, if it has been addressed to anyone."""
    return (await current_attempts(session, [referral.id])).get(referral.id)


async def due_for_answer(
    session: AsyncSession, *, now: datetime, limit: int
) -> list[tuple[Referral, RoutingAttempt]]:
    """Requested referrals whose partner's answer is overdue or due a reminder, with the attempt.

    Soonest due first, at most `limit`, each referral locked. Rows another worker has
    locked are skipped (PostgreSQL), so that two workers never handle the same referral.
    """
    attempt_matches = (col(RoutingAttempt.referral_id) == col(Referral.id)) & (
        col(RoutingAttempt.number) == col(Referral.attempts_count)
    )
    # The next moment the attempt is due for: its reminder until sent, then its deadline.
    next_due = case(
        (col(RoutingAttempt.reminded_at).is_(None), col(RoutingAttempt.remind_at)),
        else_=col(RoutingAttempt.response_due_at),
    )
    rows = await session.execute(
        select(Referral, RoutingAttempt)
        .join(RoutingAttempt, attempt_matches)
        .where(
            col(Referral.status) == ReferralStatus.REQUESTED,
            col(RoutingAttempt.outcome) == AttemptOutcome.PENDING,
            # The reminder is never later than the deadline: this bound uses the index.
            col(RoutingAttempt.remind_at) <= now,
            or_(
                col(RoutingAttempt.reminded_at).is_(None),
                col(RoutingAttempt.response_due_at) <= now,
            ),
        )
        .order_by(next_due, col(Referral.id))
        .limit(limit)
        .with_for_update(of=Referral, skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return [(referral, attempt) for referral, attempt in rows]


def _partner_columns(organization_id: str) -> tuple[Any, Any]:
    """The status a partner sees for its latest attempt of a referral, and when it changed.

    While the referral is addressed to the partner it sees the referral's own status; once
    it has moved on, `rejected` if the partner declined it, else `cancelled` (withdrawn
    from it: deadline missed, bed refused, assigned elsewhere), as a FHIR Task would be.
    """
    current = and_(
        col(Referral.attempts_count) == col(RoutingAttempt.number),
        col(Referral.organization_id) == organization_id,
    )
    status = case(
        (current, col(Referral.status)),
        (col(RoutingAttempt.outcome) == AttemptOutcome.REJECTED, literal(ReferralStatus.REJECTED)),
        else_=literal(ReferralStatus.CANCELLED),
    )
    changed_at = case(
        (current, col(Referral.updated_at)),
        else_=func.coalesce(col(RoutingAttempt.decided_at), col(RoutingAttempt.created_at)),
    )
    return status, changed_at


def _latest_attempts_of(organization_id: str) -> Any:
    """The partner's latest attempt of each referral it was ever asked to take, with it."""
    later = aliased(RoutingAttempt)
    return (
        select(Referral, RoutingAttempt)
        .join(RoutingAttempt, col(RoutingAttempt.referral_id) == col(Referral.id))
        .where(
            col(RoutingAttempt.organization_id) == organization_id,
            ~exists().where(
                col(later.referral_id) == col(RoutingAttempt.referral_id),
                col(later.organization_id) == organization_id,
                col(later.number) > col(RoutingAttempt.number),
            ),
        )
    )


async def partner_attempts(
    session: AsyncSession,
    *,
    organization_id: str,
    status: str | None = None,
    changed_since: datetime | None = None,
    referral_id: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Referral, RoutingAttempt, str, datetime]], int]:
    """One page of the partner's referrals with its attempt, the status it sees and when
    that changed, and how many match in all.

    Newest first; with `changed_since`, least recently changed first, so that a poller
    pages forward.
    """
    partner_status, changed_at = _partner_columns(organization_id)
    query = _latest_attempts_of(organization_id).add_columns(
        partner_status.label("partner_status"), changed_at.label("changed_at")
    )
    if referral_id is not None:
        query = query.where(col(Referral.id) == referral_id)
    if status is not None:
        query = query.where(partner_status == status)
    if changed_since is not None:
        query = query.where(changed_at > changed_since)
        order = (changed_at, col(Referral.id))
    else:
        order = (col(Referral.created_at).desc(), col(Referral.id))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(query.order_by(*order).limit(limit).offset(offset))
    return [(r, a, str(s), c) for r, a, s, c in rows], int(total or 0)


def _in_scope(query: Any, scope: PlaceScope) -> Any:
    if not scope.everywhere:
        query = query.where(col(Referral.region) == scope.region)
        if scope.districts:
            query = query.where(col(Referral.district).in_(scope.districts))
    return query


# Most urgent first, then the longest waiting.
_URGENCY = case(
    (col(Referral.priority) == "stat", 0), (col(Referral.priority) == "urgent", 1), else_=2
)


async def escalations(
    session: AsyncSession,
    *,
    scope: PlaceScope,
    now: datetime,
    unassigned_only: bool = False,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Referral, RoutingAttempt | None]], int]:
    """Referrals that need a supervisor: nobody could take them, or the partner's answer is
    overdue; with each its current attempt. Most urgent first, then the longest waiting."""
    overdue = and_(
        col(Referral.status) == ReferralStatus.REQUESTED,
        col(RoutingAttempt.outcome) == AttemptOutcome.PENDING,
        col(RoutingAttempt.response_due_at) <= now,
    )
    unassigned = col(Referral.status) == ReferralStatus.UNASSIGNED
    query = _in_scope(
        select(Referral, RoutingAttempt)
        .outerjoin(
            RoutingAttempt,
            (col(RoutingAttempt.referral_id) == col(Referral.id))
            & (col(RoutingAttempt.number) == col(Referral.attempts_count)),
        )
        .where(unassigned if unassigned_only else or_(unassigned, overdue)),
        scope,
    )
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.execute(
        query.order_by(_URGENCY, col(Referral.updated_at), col(Referral.id))
        .limit(limit)
        .offset(offset)
    )
    return [(referral, attempt) for referral, attempt in rows], int(total or 0)


async def active_of_household(session: AsyncSession, household_id: str) -> list[Referral]:
    """The household's active referrals, locked, oldest first."""
    rows = await session.scalars(
        select(Referral)
        .where(
            col(Referral.household_id) == household_id,
            col(Referral.status).in_(ACTIVE),
        )
        .order_by(col(Referral.created_at), col(Referral.id))
        .with_for_update()
    )
    return list(rows.all())


async def add(session: AsyncSession, row: Referral | RoutingAttempt) -> None:
    """Insert a referral or an attempt now, so that later queries see it."""
    session.add(row)
    await session.flush()
