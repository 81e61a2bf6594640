"""The states of a referral, its bed hold and its attempts, and the one transition table."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Protocol

from kamkor_common.errors import Conflict


class ReferralStatus(StrEnum):
    """After the FHIR Task states of the Gravity closed-loop referral guide (DESIGN §6)."""

    DRAFT = "draft"
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    COMPLETED = "completed"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    UNASSIGNED = "unassigned"
    ENTERED_IN_ERROR = "entered_in_error"


class HoldStatus(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    HELD = "held"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    RELEASED = "released"


class AttemptOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    HOLD_REJECTED = "hold_rejected"
    EXPIRED = "expired"
    # The referral ended or was assigned elsewhere while this attempt waited.
    SUPERSEDED = "superseded"


class CompletionOutcome(StrEnum):
    """What came of a completed referral (DESIGN §6)."""

    GOT_HELP = "got_help"
    ENROLLED = "enrolled"
    WAITLISTED = "waitlisted"
    COULD_NOT_CONTACT = "could_not_contact"
    NOT_ELIGIBLE = "not_eligible"
    NO_CAPACITY = "no_capacity"
    DECLINED_BY_FAMILY = "declined_by_family"
    OTHER = "other"


S = ReferralStatus
_ENDS = frozenset({S.CANCELLED, S.ENTERED_IN_ERROR})

# Every allowed move. A rejection is a passing state: the same transaction moves the
# referral on to the next partner (requested) or to the supervisors (unassigned).
# `requested → requested` is a new attempt after a missed deadline or a manual assignment.
TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    S.DRAFT: frozenset({S.REQUESTED, S.UNASSIGNED}) | _ENDS,
    S.REQUESTED: frozenset({S.REQUESTED, S.ACCEPTED, S.REJECTED, S.UNASSIGNED}) | _ENDS,
    S.REJECTED: frozenset({S.REQUESTED, S.UNASSIGNED}),
    S.UNASSIGNED: frozenset({S.REQUESTED, S.UNASSIGNED}) | _ENDS,
    S.ACCEPTED: frozenset({S.IN_PROGRESS}) | _ENDS,
    S.IN_PROGRESS: frozenset({S.ON_HOLD, S.COMPLETED, S.FAILED}) | _ENDS,
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.COMPLETED, S.FAILED}) | _ENDS,
    S.COMPLETED: frozenset({S.ENTERED_IN_ERROR}),
    S.FAILED: frozenset({S.ENTERED_IN_ERROR}),
    S.CANCELLED: frozenset({S.ENTERED_IN_ERROR}),
    S.ENTERED_IN_ERROR: frozenset(),
}

FINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.ENTERED_IN_ERROR})
# States in which a referral still needs or receives help; at most one per household and
# service type may be in one of them. Kept in declaration order: the SQL is built from it.
ACTIVE: tuple[ReferralStatus, ...] = tuple(s for s in S if s not in FINAL and s != S.REJECTED)
# Open: cancellable by staff (every active state).
OPEN = frozenset(ACTIVE)
# Addressed to a partner and not closed: counts against its open-referral limit.
OPEN_AT_PARTNER: tuple[ReferralStatus, ...] = (S.REQUESTED, S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD)
# A hold in these states occupies (or may soon occupy) a bed that must be given back.
LIVE_HOLD = frozenset({HoldStatus.REQUESTED, HoldStatus.HELD})


def sql_in(column: str, values: Iterable[StrEnum], *, nullable: bool = False) -> str:
    """`column IN ('a', 'b')` for a check constraint or a partial index, from an enum."""
    listed = "{} IN ({})".format(column, ", ".join(f"'{v.value}'" for v in values))
    return f"{column} IS NULL OR {listed}" if nullable else listed


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The referral cannot make this change in its current state"


class HasStatus(Protocol):
    status: str


def allowed_from(status: str) -> list[str]:
    """The states a referral in `status` may move to, sorted."""
    return sorted(TRANSITIONS[ReferralStatus(status)])


def check_move(referral: HasStatus, status: ReferralStatus) -> ReferralStatus:
    """The referral's current status, if the table allows moving to `status`; else 409."""
    current = ReferralStatus(referral.status)
    if status not in TRANSITIONS[current]:
        allowed = allowed_from(current)
        raise InvalidTransition(
            f"a referral in status {current} cannot become {status}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            current_status=current.value,
            allowed=allowed,
        )
    return current


def move_to(referral: HasStatus, status: ReferralStatus) -> ReferralStatus:
    """Move the referral to `status` if the table allows it; returns the status it left."""
    current = check_move(referral, status)
    referral.status = status
    return current
