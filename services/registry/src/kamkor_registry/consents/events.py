"""The consent events: what referral needs to gate contact details, no names."""

from __future__ import annotations

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas.registry import (
    CONSENT_RECORDED,
    CONSENT_WITHDRAWN,
    SOURCE,
    ConsentChanged,
)
from kamkor_registry.consents.models import Consent


def _changed(consent: Consent, type: str) -> CloudEvent:
    data = ConsentChanged(
        consent_id=consent.id,
        household_id=consent.household_id,
        person_id=consent.person_id,
        scope=consent.scope,
        legal_basis=consent.legal_basis,
        given_at=consent.given_at,
        expires_at=consent.expires_at,
        withdrawn_at=consent.withdrawn_at,
    )
    return new_event(
        source=SOURCE,
        type=type,
        key=consent.household_id,
        data=data,
        subject=f"household/{consent.household_id}",
    )


def consent_recorded(consent: Consent) -> CloudEvent:
    """`kamkor.registry.consent.recorded.v1`, keyed by the household id."""
    return _changed(consent, CONSENT_RECORDED)


def consent_withdrawn(consent: Consent) -> CloudEvent:
    """`kamkor.registry.consent.withdrawn.v1`, keyed by the household id."""
    return _changed(consent, CONSENT_WITHDRAWN)
