"""Contact details go to the partner that accepted, where consent is on record, audited."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Header, HTTPException

from kamkor_common.auth import TokenVerifier
from kamkor_common.testing import serving_app
from kamkor_common.tokens import SignedServiceTokens
from kamkor_referral.contacts import repository as contacts_repository
from kamkor_referral.contacts.client import RegistryClient
from tests.referral.consents.test_handlers import consent, record
from tests.referral.talas import DISTRICT_ORG, home_care_referral, partner


@dataclass
class FakeRegistry:
    """The registry's household read, checking the caller's token as the registry would."""

    verifier: TokenVerifier
    households: dict[str, dict[str, Any]] = field(default_factory=dict)
    callers: list[str] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/v1/registry/households/{household_id}")
        async def household(household_id: str, authorization: str = Header()) -> dict[str, Any]:
            principal = self.verifier.verify(authorization.removeprefix("Bearer "))
            self.callers.append(f"{principal.subject}:{principal.role}")
            if household_id not in self.households:
                raise HTTPException(404)
            return self.households[household_id]

        return app


@pytest.fixture
async def registry(talas: Any) -> AsyncIterator[FakeRegistry]:
    """A fake registry put in place of the service's registry client for one test."""
    state = talas.app.state
    fake = FakeRegistry(verifier=state.token_verifier)
    async with serving_app(fake.app()) as url:
        tokens = SignedServiceTokens(state.token_issuer, subject="service:referral")
        client = RegistryClient(base_url=url, timeout_s=3, tokens=tokens)
        previous = getattr(state, "registry_client", None)
        state.registry_client = client
        try:
            yield fake
        finally:
            state.registry_client = previous
            await client.aclose()


def household_record(household_id: str) -> dict[str, Any]:
    member = {"patronymic": None, "sex": "female", "birth_date": "1990-01-01", "pin": None}
    return {
        "id": household_id,
        "region": "KG-T",
        "district": "KG-T-01",
        "settlement": "Kyzyl-Adyr",
        "address": "Manas 12",
        "phone": "+996700123456",
        "language": "ky",
        "members": [
            {
                **member,
                "person_id": "p-1",
                "role": "caregiver",
                "family_name": "Asanova",
                "given_name": "Aigul",
            },
            {
                **member,
                "person_id": "p-2",
                "role": "child",
                "family_name": "Asanov",
                "given_name": "Bakyt",
                "birth_date": "2018-05-01",
            },
        ],
    }


async def contact(talas: Any, referral: dict[str, Any], organization: str = DISTRICT_ORG) -> Any:
    return await talas.client.get(
        f"/partner/v1/referrals/{referral['id']}/contact", headers=partner(talas, organization)
    )


async def audited(talas: Any, referral_id: str) -> list[Any]:
    async with talas.database.sessionmaker() as session:
        return await contacts_repository.reads_of(session, referral_id)


class TestContact:
    async def test_after_acceptance_with_consent_the_contact_is_given_and_audited(
        self, talas: Any, registry: FakeRegistry
    ) -> None:
        referral = await home_care_referral(talas)
        household_id = referral["household_id"]
        registry.households[household_id] = household_record(household_id)
        given = consent(household_id)
        await record(talas, given)

        early = await contact(talas, referral)
        assert early.status_code == 409
        assert early.json()["code"] == "referral_not_accepted"

        await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/accept", headers=partner(talas, DISTRICT_ORG)
        )
        response = await contact(talas, referral)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["phone"] == "+996700123456" and body["address"] == "Manas 12"
        # Whom to contact: the adults; the children's details stay in the registry.
        assert [c["given_name"] for c in body["contacts"]] == ["Aigul"]
        assert body["basis"]["consent_id"] == given.consent_id
        # The registry saw the referral service's own token, not the partner's.
        assert registry.callers == ["service:referral:service"]

        [read] = await audited(talas, referral["id"])
        assert (read.household_id, read.role, read.organization_id, read.purpose) == (
            household_id,
            "partner",
            DISTRICT_ORG,
            "referral_contact",
        )
        assert read.consent_id == given.consent_id and read.read_at is not None

    async def test_without_consent_it_is_403_and_nothing_is_read(
        self, talas: Any, registry: FakeRegistry
    ) -> None:
        referral = await home_care_referral(talas)
        registry.households[referral["household_id"]] = household_record(referral["household_id"])
        await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/accept", headers=partner(talas, DISTRICT_ORG)
        )
        response = await contact(talas, referral)
        assert response.status_code == 403
        assert response.json()["code"] == "consent_required"
        assert registry.callers == []
        assert await audited(talas, referral["id"]) == []

    async def test_a_withdrawn_consent_stops_sharing(
        self, talas: Any, registry: FakeRegistry
    ) -> None:
        referral = await home_care_referral(talas)
        household_id = referral["household_id"]
        registry.households[household_id] = household_record(household_id)
        given = consent(household_id)
        await record(talas, given)
        await talas.client.post(
            f"/partner/v1/referrals/{referral['id']}/accept", headers=partner(talas, DISTRICT_ORG)
        )
        assert (await contact(talas, referral)).status_code == 200
        await record(talas, given, withdrawn=True)
        assert (await contact(talas, referral)).status_code == 403
        assert len(await audited(talas, referral["id"])) == 1

    async def test_another_partner_gets_404(self, talas: Any, registry: FakeRegistry) -> None:
        referral = await home_care_referral(talas)
        other = await contact(talas, referral, organization=str(uuid.uuid4()))
        assert other.status_code == 404
