"""SQL of the active rule set, its activations, and the screenings a back-test reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kamkor_common.auth import PlaceScope
from kamkor_common.db import upsert_insert, utcnow
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.rules.models import STATE_ID, RuleSetActivation, RuleSetState
from kamkor_risk.screenings.models import Screening

CONFIGURATION = "configuration"


async def state(session: AsyncSession, default_version: str) -> RuleSetState:
    """The active version as stored; a new database starts with `default_version`."""
    row = await _read_state(session)
    if row is None:
        now = utcnow()
        await session.execute(
            upsert_insert(session, RuleSetState)
            .values(
                id=STATE_ID,
                version=default_version,
                revision=1,
                active_since=now,
                activated_by=CONFIGURATION,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )
        row = await _read_state(session)
    assert row is not None
    return row


async def _read_state(session: AsyncSession) -> RuleSetState | None:
    result = await session.execute(
        select(RuleSetState)
        .where(col(RuleSetState.id) == STATE_ID)
        .execution_options(populate_existing=True)
    )
    return result.scalars().first()


async def switch(
    session: AsyncSession, *, expected_revision: int, version: str, by: str, at: datetime
) -> bool:
    """Make `version` active if the state is still at `expected_revision`; False if not."""
    result = await session.execute(
        update(RuleSetState)
        .where(col(RuleSetState.id) == STATE_ID, col(RuleSetState.revision) == expected_revision)
        .values(version=version, revision=expected_revision + 1, active_since=at, activated_by=by)
    )
    return bool(getattr(result, "rowcount", 0))


async def add_activation(session: AsyncSession, activation: RuleSetActivation) -> None:
    session.add(activation)
    await session.flush()


async def list_activations(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[list[RuleSetActivation], int]:
    total = await session.scalar(select(func.count()).select_from(RuleSetActivation))
    result = await session.execute(
        select(RuleSetActivation)
        .order_by(col(RuleSetActivation.revision).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(result.scalars().all()), int(total or 0)


@dataclass(frozen=True)
class ScreeningFilter:
    scope: PlaceScope
    region: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class StoredAnswers:
    screening_id: str
    household_id: str
    created_at: datetime
    answers: dict[str, object]


async def stream_screenings(
    session: AsyncSession, filters: ScreeningFilter, *, batch_size: int, limit: int
) -> AsyncIterator[StoredAnswers]:
    """Stored screenings by household, oldest first, fetched in keyset batches.

    Keyset (household, time, id) rather than offsets, so that each batch costs the same
    however deep into the store it is; at most `limit` rows are read.
    """
    conditions = []
    if not filters.scope.everywhere:
        conditions.append(col(RiskHousehold.region) == filters.scope.region)
        if filters.scope.districts:
            conditions.append(col(RiskHousehold.district).in_(filters.scope.districts))
    if filters.region is not None:
        conditions.append(col(RiskHousehold.region) == filters.region)
    if filters.since is not None:
        conditions.append(col(Screening.created_at) >= filters.since)
    if filters.until is not None:
        conditions.append(col(Screening.created_at) < filters.until)
    query = select(
        col(Screening.id),
        col(Screening.household_id),
        col(Screening.created_at),
        col(Screening.answers),
    ).join(RiskHousehold, col(RiskHousehold.household_id) == col(Screening.household_id))
    order = (col(Screening.household_id), col(Screening.created_at), col(Screening.id))
    after: tuple[str, datetime, str] | None = None
    read = 0
    while read < limit:
        batch_query = query.where(*conditions)
        if after is not None:
            batch_query = batch_query.where(tuple_(*order) > tuple_(*after))
        rows = (
            await session.execute(batch_query.order_by(*order).limit(min(batch_size, limit - read)))
        ).all()
        if not rows:
            return
        for screening_id, household_id, created_at, answers in rows:
            yield StoredAnswers(screening_id, household_id, created_at, dict(answers))
        read += len(rows)
        last = rows[-1]
        after = (last[1], last[2], last[0])
        if len(rows) < batch_size:
            return
