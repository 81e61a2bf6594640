"""Every query of the consent read model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.consents.models import CONTACT_SHARING, ConsentRecord


async def get(session: AsyncSession, consent_id: str) -> ConsentRecord | None:
    return await session.get(ConsentRecord, consent_id)


async def add(session: AsyncSession, consent: ConsentRecord) -> None:
    session.add(consent)
    await session.flush()


async def sharing_basis(
    session: AsyncSession, *, household_id: str, now: datetime
) -> ConsentRecord | None:
    """A consent to share contact details, or a legal basis, in force now for the household."""
    return (
        await session.scalars(
            select(ConsentRecord)
            .where(
                col(ConsentRecord.household_id) == household_id,
                or_(
                    col(ConsentRecord.scope) == CONTACT_SHARING,
                    col(ConsentRecord.legal_basis).is_not(None),
                ),
                col(ConsentRecord.withdrawn_at).is_(None),
                col(ConsentRecord.given_at) <= now,
                or_(col(ConsentRecord.expires_at).is_(None), col(ConsentRecord.expires_at) > now),
            )
            .order_by(col(ConsentRecord.given_at).desc())
            .limit(1)
        )
    ).one_or_none()
