"""The referral's own account of what happened to it, in plain words."""

from __future__ import annotations

from datetime import datetime

from kamkor_common.db import utcnow
from kamkor_referral.referrals.models import Referral


def note(referral: Referral, *lines: str) -> None:
    """Add to the referral's reasons; a new list, so that the JSON column sees the change."""
    referral.reasons = [*referral.reasons, *lines]
    referral.updated_at = utcnow()


def when(moment: datetime) -> str:
    """A moment as the notes write it."""
    return f"{moment:%Y-%m-%d %H:%M} UTC"
