"""Every query of the consents domain."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_registry.consents.models import Consent


async def add_consent(session: AsyncSession, consent: Consent) -> None:
    session.add(consent)
    await session.flush()


async def get_consent(
    session: AsyncSession, consent_id: str, *, for_update: bool = False
) -> Consent | None:
    return await session.get(Consent, consent_id, with_for_update=for_update)


async def list_consents(
    session: AsyncSession, *, household_id: str, scope: str | None, limit: int, offset: int
) -> tuple[list[Consent], int]:
    """A household's consents, newest given first, and how many there are in all."""
    query = select(Consent).where(col(Consent.household_id) == household_id)
    if scope is not None:
        query = query.where(col(Consent.scope) == scope)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Consent.given_at).desc(), col(Consent.id)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)
