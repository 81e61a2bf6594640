"""Keeping the consent read model in step with the registry's consent events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.db import utcnow
from kamkor_common.events.schemas.registry import ConsentChanged
from kamkor_referral.consents import repository
from kamkor_referral.consents.models import ConsentRecord


async def record(
    *, session: AsyncSession, change: ConsentChanged, withdrawn: bool = False
) -> ConsentRecord:
    """Store the consent as the registry states it now; a withdrawal keeps its moment."""
    consent = await repository.get(session, change.consent_id)
    if consent is None:
        consent = ConsentRecord(
            consent_id=change.consent_id,
            household_id=change.household_id,
            scope=change.scope,
            given_at=change.given_at,
        )
    consent.household_id = change.household_id
    consent.person_id = change.person_id
    consent.scope = change.scope
    consent.legal_basis = change.legal_basis
    consent.given_at = change.given_at
    consent.expires_at = change.expires_at
    withdrawn_at: datetime | None = change.withdrawn_at
    if withdrawn and withdrawn_at is None:
        withdrawn_at = utcnow()
    consent.withdrawn_at = withdrawn_at
    consent.updated_at = utcnow()
    await repository.add(session, consent)
    return consent


async def sharing_basis(
    *, session: AsyncSession, household_id: str, now: datetime | None = None
) -> ConsentRecord | None:
    """The consent or legal basis that allows sharing the family's contact details now."""
    return await repository.sharing_basis(session, household_id=household_id, now=now or utcnow())
