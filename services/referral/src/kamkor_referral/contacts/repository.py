"""Every query of the contact read audit."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.contacts.models import ContactRead


async def add(session: AsyncSession, row: ContactRead) -> None:
    session.add(row)
    await session.flush()


async def reads_of(session: AsyncSession, referral_id: str) -> list[ContactRead]:
    """The audited reads of a referral's contact details, oldest first."""
    rows = await session.scalars(
        select(ContactRead)
        .where(col(ContactRead.referral_id) == referral_id)
        .order_by(col(ContactRead.read_at))
    )
    return list(rows.all())
