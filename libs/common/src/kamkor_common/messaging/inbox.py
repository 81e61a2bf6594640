"""Inbox: one row per (consumer group, event id) so that a redelivered event is skipped."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel, col

from kamkor_common.db import UTCDateTime, upsert_insert, utcnow


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"

    consumer_group: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=36)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )


async def record(
    session: AsyncSession, *, consumer_group: str, event_id: str, event_type: str
) -> bool:
    """Record the event in the caller's transaction; False when it was handled before."""
    statement = (
        upsert_insert(session, InboxMessage)
        .values(
            consumer_group=consumer_group,
            event_id=event_id,
            event_type=event_type,
            processed_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["consumer_group", "event_id"])
    )
    result: Any = await session.execute(statement)
    return bool(result.rowcount)


async def purge(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget handled events older than the cutoff: far past any redelivery window."""
    result: Any = await session.execute(
        delete(InboxMessage).where(col(InboxMessage.processed_at) < older_than)
    )
    return int(result.rowcount or 0)
