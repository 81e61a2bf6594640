"""SQL of the household read model."""

from __future__ import annotations

from typing import cast

from sqlalchemy import delete as sql_delete
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kamkor_common.db import upsert_insert, utcnow
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.households.schemas import HouseholdFacts
from kamkor_risk.rules.schemas import Severity, severity_rank
from kamkor_risk.screenings.models import OPEN, RESOLVED, RiskFlag, Screening


async def get(
    session: AsyncSession, household_id: str, *, for_update: bool = False
) -> RiskHousehold | None:
    """The household's row; with `for_update` it is locked until the transaction ends."""
    query = select(RiskHousehold).where(col(RiskHousehold.household_id) == household_id)
    if for_update:
        query = query.with_for_update()
    result = await session.execute(query.execution_options(populate_existing=True))
    return result.scalars().first()


async def upsert(session: AsyncSession, facts: HouseholdFacts) -> None:
    """Insert or overwrite the household's facts in one statement (safe when racing)."""
    values = {
        "household_id": facts.household_id,
        "region": facts.region,
        "district": facts.district,
        "language": facts.language,
        "children_birth_dates": [d.isoformat() for d in facts.children_birth_dates],
        "member_sexes": facts.member_sexes,
        "updated_at": utcnow(),
    }
    statement = upsert_insert(session, RiskHousehold).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["household_id"],
        set_={k: statement.excluded[k] for k in values if k != "household_id"},
    )
    await session.execute(statement)


async def move_history(session: AsyncSession, *, from_id: str, to_id: str) -> None:
    """Screenings and flags of one household now belong to another (a merge of duplicates);
    of two open flags in one domain the more severe stays open, the other is resolved."""
    # Locked in id order, so two merges never deadlock.
    result = await session.execute(
        select(RiskFlag)
        .where(col(RiskFlag.household_id).in_([from_id, to_id]), col(RiskFlag.status) == OPEN)
        .order_by(col(RiskFlag.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    flags = list(result.scalars().all())
    kept = {f.domain: f for f in flags if f.household_id == to_id}
    now = utcnow()
    for flag in (f for f in flags if f.household_id == from_id):
        other = kept.get(flag.domain)
        if other is None:
            continue
        rank = severity_rank(cast_severity(flag.severity))
        loser = other if rank > severity_rank(cast_severity(other.severity)) else flag
        loser.status, loser.resolved_at, loser.updated_at = RESOLVED, now, now
    # Resolved before any open flag moves, so the one-open-flag-per-domain index holds.
    await session.flush()
    for model in (RiskFlag, Screening):
        await session.execute(
            update(model)
            .where(col(model.household_id) == from_id)
            .values(household_id=to_id)
            .execution_options(synchronize_session=False)
        )


def cast_severity(severity: str) -> Severity:
    return cast(Severity, severity)


async def delete(session: AsyncSession, household_id: str) -> None:
    await session.execute(
        sql_delete(RiskHousehold).where(col(RiskHousehold.household_id) == household_id)
    )
