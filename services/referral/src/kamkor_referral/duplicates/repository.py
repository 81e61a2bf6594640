"""SQL of following a household merge: every row of the merged household names the kept one."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_common.db import utcnow
from kamkor_referral.consents.models import ConsentRecord
from kamkor_referral.referrals.models import Referral


async def move_household(
    session: AsyncSession, *, from_id: str, to_id: str, region: str, district: str
) -> None:
    """Referrals (ended ones too) and consent records move to the kept household; referrals
    take its place too, so that staff see them where it is."""
    now = utcnow()
    await session.execute(
        update(Referral)
        .where(col(Referral.household_id) == from_id)
        .values(household_id=to_id, region=region, district=district, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    await session.execute(
        update(ConsentRecord)
        .where(col(ConsentRecord.household_id) == from_id)
        .values(household_id=to_id, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
