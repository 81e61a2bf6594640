"""The consent events: what referral needs to gate contact details, no names."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.events.envelope import CloudEvent
from kamkor_common.events.schemas.registry import (
    CONSENT_RECORDED,
    CONSENT_WITHDRAWN,
    ConsentChanged,
)
from kamkor_common.messaging.outbox import stage
from kamkor_registry.consents.models import Consent


def _data(consent: Consent) -> ConsentChanged:
    return ConsentChanged(
        consent_id=consent.id,
        household_id=consent.household_id,
        person_id=consent.person_id,
        scope=consent.scope,
        legal_basis=consent.legal_basis,
        given_at=consent.given_at,
        expires_at=consent.expires_at,
        withdrawn_at=consent.withdrawn_at,
    )


def stage_consent_recorded(session: AsyncSession, consent: Consent) -> CloudEvent:
    """`kamkor.registry.consent.recorded.v1`, keyed by the household id."""
    return stage(session, CONSENT_RECORDED, _data(consent))


def stage_consent_withdrawn(session: AsyncSession, consent: Consent) -> CloudEvent:
    """`kamkor.registry.consent.withdrawn.v1`, keyed by the household id."""
    return stage(session, CONSENT_WITHDRAWN, _data(consent))
