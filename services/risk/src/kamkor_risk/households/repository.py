"""SQL of the household read model."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from kamkor_common.db import upsert_insert, utcnow
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.households.schemas import HouseholdFacts


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
