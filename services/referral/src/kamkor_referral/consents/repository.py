"""Every query of the consent read model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.consents.models import CONTACT_SHARING, Consent


async def get(session: AsyncSession, consent_id: str) -> Consent | None:
    return await session.get(Consent, consent_id)


async def add(session: AsyncSession, consent: Consent) -> None:
    session.add(consent)
    await session.flush()


async def sharing_basis(
    session: AsyncSession, *, household_id: str, now: datetime
) -> Consent | None:
    """A consent to share contact details, or a legal basis, in force now for the household."""
    return (
        await session.scalars(
            select(Consent)
            .where(
                col(Consent.household_id) == household_id,
                or_(
                    col(Consent.scope) == CONTACT_SHARING,
                    col(Consent.legal_basis).is_not(None),
                ),
                col(Consent.withdrawn_at).is_(None),
                col(Consent.given_at) <= now,
                or_(col(Consent.expires_at).is_(None), col(Consent.expires_at) > now),
            )
            .order_by(col(Consent.given_at).desc())
            .limit(1)
        )
    ).one_or_none()
