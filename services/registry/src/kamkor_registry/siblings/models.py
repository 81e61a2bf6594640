"""The sibling groups tables."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_registry.households.models import new_id


class SiblingGroup(SQLModel, table=True):
    __tablename__ = "sibling_groups"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    # When the siblings last met and played together (DOMAIN: a worker advises that they do).
    last_met_on: date | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    created_by: str = Field(max_length=200)
    updated_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class SiblingGroupMember(SQLModel, table=True):
    """A child in a sibling group; a child belongs to one group at most."""

    __tablename__ = "sibling_group_members"

    group_id: str = Field(
        sa_column=Column(
            String(36),
            ForeignKey("sibling_groups.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    person_id: str = Field(sa_column=Column(String(36), ForeignKey("persons.id"), primary_key=True))
