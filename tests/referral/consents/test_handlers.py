"""The consent read model follows the registry's consent events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from kamkor_common.events.schemas.registry import (
    CONSENT_RECORDED,
    CONSENT_WITHDRAWN,
    ConsentChanged,
)
from kamkor_common.events.topics import REGISTRY_HOUSEHOLDS
from kamkor_referral.consents import service as consents_service


def consent(household_id: str, **overrides: Any) -> ConsentChanged:
    fields: dict[str, Any] = {
        "consent_id": str(uuid.uuid4()),
        "household_id": household_id,
        "person_id": str(uuid.uuid4()),
        "scope": "contact_sharing",
        "legal_basis": None,
        "given_at": datetime.now(UTC) - timedelta(minutes=5),
        "expires_at": None,
        "withdrawn_at": None,
    }
    return ConsentChanged(**{**fields, **overrides})


async def record(referral: Any, change: ConsentChanged, *, withdrawn: bool = False) -> None:
    """Publish the consent event as the registry would and wait until it is handled."""
    spec = CONSENT_WITHDRAWN if withdrawn else CONSENT_RECORDED
    event = spec.build(change)
    await referral.send(REGISTRY_HOUSEHOLDS, event)
    await referral.wait_handled(event)


async def basis(referral: Any, household_id: str) -> Any:
    async with referral.database.sessionmaker() as session:
        return await consents_service.sharing_basis(session=session, household_id=household_id)


class TestConsentEvents:
    async def test_a_recorded_consent_allows_sharing_until_withdrawn(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        given = consent(household_id)
        await record(referral, given)
        found = await basis(referral, household_id)
        assert found is not None and found.consent_id == given.consent_id

        await record(
            referral,
            given.model_copy(update={"withdrawn_at": datetime.now(UTC)}),
            withdrawn=True,
        )
        assert await basis(referral, household_id) is None

    async def test_a_legal_basis_counts_an_expired_consent_does_not(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        await record(
            referral,
            consent(household_id, expires_at=datetime.now(UTC) - timedelta(seconds=1)),
        )
        await record(referral, consent(household_id, scope="research"))
        assert await basis(referral, household_id) is None

        legal = consent(household_id, scope="child_protection", legal_basis="family_code_art_70")
        await record(referral, legal)
        found = await basis(referral, household_id)
        assert found is not None and found.legal_basis == "family_code_art_70"

    async def test_a_withdrawal_without_a_time_is_taken_as_now(self, referral: Any) -> None:
        household_id = str(uuid.uuid4())
        given = consent(household_id)
        await record(referral, given)
        await record(referral, given, withdrawn=True)
        assert await basis(referral, household_id) is None
