"""Referrals and the attempts to place them with a partner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from kamkor_common.db import UTCDateTime, utcnow
from kamkor_referral.ids import new_id

# States in which a referral still needs or receives help; at most one per household and
# service type may be in one of them.
ACTIVE_STATUSES = ("draft", "requested", "accepted", "in_progress", "on_hold", "unassigned")
# States that count against a partner's open-referral limit: addressed to it and not closed.
OPEN_AT_PARTNER_STATUSES = ("requested", "accepted", "in_progress", "on_hold")

_ACTIVE_SQL = "status IN ({})".format(", ".join(f"'{s}'" for s in ACTIVE_STATUSES))
_HOLD_REQUESTED_SQL = "hold_status = 'requested'"
_PENDING_SQL = "outcome = 'pending'"


class Referral(SQLModel, table=True):
    __tablename__ = "referrals"
    __table_args__ = (
        CheckConstraint("priority IN ('stat', 'urgent', 'routine')", name="ck_referrals_priority"),
        CheckConstraint(
            "hold_status IS NULL OR hold_status IN "
            "('none', 'requested', 'held', 'confirmed', 'rejected', 'released')",
            name="ck_referrals_hold_status",
        ),
        # The rule "one active referral per household and service type", kept by the
        # database too, so that a race can never open a second one.
        Index(
            "uq_referrals_active_need",
            "household_id",
            "service_type",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
            sqlite_where=text(_ACTIVE_SQL),
        ),
        Index("ix_referrals_organization_status", "organization_id", "status"),
        Index("ix_referrals_service_status", "service_id", "status"),
        Index("ix_referrals_region_created", "region", "created_at"),
        # Routing counts the holds each shelter has not answered yet; only those rows matter.
        Index(
            "ix_referrals_shelter_hold_requested",
            "shelter_id",
            "hold_requested_at",
            postgresql_where=text(_HOLD_REQUESTED_SQL),
            sqlite_where=text(_HOLD_REQUESTED_SQL),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    household_id: str = Field(max_length=36, index=True)
    service_type: str = Field(max_length=40)
    priority: str = Field(max_length=8)
    status: str = Field(default="draft", max_length=20, index=True)
    region: str = Field(max_length=16)
    district: str = Field(max_length=16)
    language: str = Field(max_length=2)
    children_ages: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The members' sexes from the flag, for sex eligibility; None when the flag had none.
    member_sexes: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    source_flag_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    organization_id: str | None = Field(default=None, max_length=36)
    service_id: str | None = Field(default=None, max_length=36)
    shelter_id: str | None = Field(default=None, max_length=36)
    hold_status: str | None = Field(default=None, max_length=16)
    # The bed category of the hold and when it was last asked for (shelter services only).
    hold_category: str | None = Field(default=None, max_length=16)
    hold_requested_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime, nullable=True)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    # Why the referral exists and every routing decision since, in plain words.
    reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attempts_count: int = 0


class RoutingAttempt(SQLModel, table=True):
    __tablename__ = "routing_attempts"
    __table_args__ = (
        CheckConstraint(
            "outcome IN "
            "('pending', 'accepted', 'rejected', 'hold_rejected', 'expired', 'superseded')",
            name="ck_routing_attempts_outcome",
        ),
        Index("uq_routing_attempts_number", "referral_id", "number", unique=True),
        # The deadline worker looks only at attempts still waiting for an answer.
        Index(
            "ix_routing_attempts_pending_remind",
            "remind_at",
            postgresql_where=text(_PENDING_SQL),
            sqlite_where=text(_PENDING_SQL),
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    referral_id: str = Field(
        sa_column=Column(String(36), ForeignKey("referrals.id", ondelete="CASCADE"), nullable=False)
    )
    number: int
    organization_id: str = Field(max_length=36)
    service_id: str = Field(max_length=36)
    shelter_id: str | None = Field(default=None, max_length=36)
    outcome: str = Field(default="pending", max_length=16)
    reason: str | None = Field(default=None, max_length=2000)
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    # When the partner must answer, and when it is reminded (half-time), fixed when the
    # attempt is made from the priority then (and shortened if the priority rises), so that
    # the partner's deadline does not move under it when the settings change.
    response_due_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    remind_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    reminded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
