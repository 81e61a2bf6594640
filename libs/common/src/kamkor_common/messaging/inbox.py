"""Inbox: one row per (consumer group, event id) so that a redelivered event is skipped."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow


class InboxMessage(SQLModel, table=True):
    __tablename__ = "inbox_messages"

    consumer_group: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=36)
    event_type: str = Field(max_length=200)
    processed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime))


async def record(
    session: AsyncSession, *, consumer_group: str, event_id: str, event_type: str
) -> bool:
    """Record the event in the caller's transaction; False when it was handled before."""
    if await session.get(InboxMessage, (consumer_group, event_id)) is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(
                InboxMessage(
                    consumer_group=consumer_group, event_id=event_id, event_type=event_type
                )
            )
    except IntegrityError:  # another member handled it concurrently
        return False
    return True
