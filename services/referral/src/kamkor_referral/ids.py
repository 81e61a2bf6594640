"""Identifiers of the referral service's records."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """A fresh UUID4 as a string."""
    return str(uuid.uuid4())
