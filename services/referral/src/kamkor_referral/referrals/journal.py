"""The referral's own account of what happened to it: notes and its path of states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_referral.referrals.models import Referral
from kamkor_referral.referrals.states import ReferralStatus, move_to


def note(referral: Referral, *lines: str) -> None:
    """Add to the referral's reasons; a new list, so that the JSON column sees the change."""
    referral.reasons = [*referral.reasons, *lines]
    referral.updated_at = utcnow()


def when(moment: datetime) -> str:
    """A moment as the notes write it."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"


def entry(
    status: ReferralStatus,
    *,
    at: datetime,
    by: Principal | None = None,
    reason: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """One step of the referral's path; `role` is who moved it (none: Kamkor itself)."""
    return {
        "status": status.value,
        "at": at.isoformat(),
        "role": by.role if by is not None else None,
        "organization_id": by.organization_id if by is not None else None,
        "reason": reason,
        "outcome": outcome,
    }


def move(
    referral: Referral,
    status: ReferralStatus,
    *,
    by: Principal | None = None,
    reason: str | None = None,
    outcome: str | None = None,
    at: datetime | None = None,
) -> ReferralStatus:
    """Move the referral as the transition table allows (else 409) and record the step."""
    left = move_to(referral, status)
    at = at or utcnow()
    referral.history = [
        *referral.history,
        entry(status, at=at, by=by, reason=reason, outcome=outcome),
    ]
    referral.updated_at = at
    return left
