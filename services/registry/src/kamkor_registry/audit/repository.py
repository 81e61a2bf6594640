"""Every query of the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_registry.audit.models import AuditEntry


def add_entries(session: AsyncSession, entries: Sequence[AuditEntry]) -> None:
    # Not flushed: the rows go in with the request's own commit, or not at all.
    session.add_all(entries)


async def list_entries(
    session: AsyncSession,
    *,
    household_id: str | None,
    person_id: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AuditEntry], int]:
    """Matching entries, newest first, and how many match in all."""
    query = select(AuditEntry)
    if household_id is not None:
        query = query.where(col(AuditEntry.household_id) == household_id)
    if person_id is not None:
        query = query.where(col(AuditEntry.person_id) == person_id)
    if actor is not None:
        query = query.where(col(AuditEntry.actor) == actor)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)
