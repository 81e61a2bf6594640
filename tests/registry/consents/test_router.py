"""Recording, listing and withdrawing consents over HTTP, and their events in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from kamkor_common.events.schemas.registry import (
    CONSENT_RECORDED,
    CONSENT_WITHDRAWN,
    ConsentChanged,
)
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents

URL = "/api/v1/registry/households"
CONSENT_FIELDS = {
    "consent_id",
    "household_id",
    "person_id",
    "scope",
    "legal_basis",
    "given_at",
    "expires_at",
    "withdrawn_at",
}


def _worker(auth: Auth) -> dict[str, str]:
    return auth("social_worker", region="KG-J", districts=["KG-J-06"])


async def _household(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
) -> dict[str, Any]:
    response = await client.post(URL, json=new_household(), headers=_worker(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestRecordConsent:
    async def test_records_a_caregivers_consent_and_stages_its_event_with_exact_fields(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        grandmother = household["members"][0]["person_id"]
        expires = datetime.now(UTC) + timedelta(days=365)

        response = await registry_client.post(
            f"{URL}/{household['id']}/consents",
            json={
                "scope": "contact_sharing",
                "person_id": grandmother,
                "expires_at": expires.isoformat(),
            },
            headers=_worker(auth),
        )

        assert response.status_code == 201, response.text
        consent = response.json()
        assert consent["active"] is True and consent["withdrawn_at"] is None
        assert (consent["person_id"], consent["scope"]) == (grandmother, "contact_sharing")
        (event,) = await outbox_events(household["id"], CONSENT_RECORDED)
        assert event.partitionkey == household["id"]
        assert event.subject == f"household/{household['id']}"
        assert set(event.data) == CONSENT_FIELDS
        data = ConsentChanged.model_validate(event.data)
        assert data.consent_id == consent["id"] and data.household_id == household["id"]
        assert (data.person_id, data.scope, data.legal_basis) == (
            grandmother,
            "contact_sharing",
            None,
        )
        assert data.given_at == datetime.fromisoformat(consent["given_at"])
        assert data.expires_at == expires and data.withdrawn_at is None

    async def test_a_legal_basis_stands_without_a_giver(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/consents",
            json={"scope": "contact_sharing", "legal_basis": "child_protection_law"},
            headers=_worker(auth),
        )

        assert response.status_code == 201, response.text
        (event,) = await outbox_events(household["id"], CONSENT_RECORDED)
        assert (event.data["legal_basis"], event.data["person_id"]) == (
            "child_protection_law",
            None,
        )

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({"scope": "contact_sharing"}, "consent_giver_missing"),
            (
                {"scope": "contact_sharing", "person_id": "0b6f3c1e-0000-4000-8000-000000000000"},
                "consent_giver_not_member",
            ),
            (
                {
                    "scope": "contact_sharing",
                    "given_by_name": "Асанова Гүлнара",
                    "given_at": "2026-01-10T00:00:00Z",
                    "expires_at": "2026-01-01T00:00:00Z",
                },
                "invalid_consent_dates",
            ),
            ({"scope": "everything", "given_by_name": "Асанова"}, "validation_error"),
        ],
    )
    async def test_bad_consents_are_refused_and_nothing_is_staged(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
        body: dict[str, Any],
        code: str,
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/consents", json=body, headers=_worker(auth)
        )

        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert await outbox_events(household["id"], CONSENT_RECORDED) == []

    async def test_a_household_outside_the_workers_districts_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)

        response = await registry_client.post(
            f"{URL}/{household['id']}/consents",
            json={"scope": "contact_sharing", "given_by_name": "Асанова"},
            headers=auth("social_worker", region="KG-J", districts=["KG-J-09"]),
        )

        assert response.status_code == 404
        assert response.json()["code"] == "household_not_found"


class TestWithdrawConsent:
    async def test_withdraws_once_and_a_second_withdrawal_changes_nothing(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        recorded = await registry_client.post(
            f"{URL}/{household['id']}/consents",
            json={"scope": "contact_sharing", "given_by_name": "Асанова Гүлнара"},
            headers=_worker(auth),
        )
        consent_id = recorded.json()["id"]
        withdraw = f"{URL}/{household['id']}/consents/{consent_id}/withdraw"

        first = await registry_client.post(withdraw, headers=_worker(auth))
        second = await registry_client.post(withdraw, headers=_worker(auth))

        assert first.status_code == 200, first.text
        assert first.json()["active"] is False and first.json()["withdrawn_at"] is not None
        assert second.status_code == 200
        assert second.json()["withdrawn_at"] == first.json()["withdrawn_at"]
        (event,) = await outbox_events(household["id"], CONSENT_WITHDRAWN)
        assert set(event.data) == CONSENT_FIELDS
        data = ConsentChanged.model_validate(event.data)
        assert data.consent_id == consent_id
        assert data.withdrawn_at == datetime.fromisoformat(first.json()["withdrawn_at"])
        types = [e.type for e in await outbox_events(household["id"])]
        assert types.count(CONSENT_RECORDED.type) == 1 and types.count(CONSENT_WITHDRAWN.type) == 1

    async def test_a_consent_of_another_household_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        first = await _household(registry_client, auth, new_household)
        other = await _household(registry_client, auth, new_household)
        recorded = await registry_client.post(
            f"{URL}/{first['id']}/consents",
            json={"scope": "data_processing", "given_by_name": "Асанова"},
            headers=_worker(auth),
        )

        response = await registry_client.post(
            f"{URL}/{other['id']}/consents/{recorded.json()['id']}/withdraw",
            headers=_worker(auth),
        )

        assert response.status_code == 404
        assert response.json()["code"] == "consent_not_found"


class TestListConsents:
    async def test_lists_newest_first_with_scope_filter_and_activity(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = await _household(registry_client, auth, new_household)
        consents = f"{URL}/{household['id']}/consents"
        for scope, given_at in (
            ("data_processing", "2026-01-01T08:00:00Z"),
            ("contact_sharing", "2026-02-01T08:00:00Z"),
        ):
            response = await registry_client.post(
                consents,
                json={"scope": scope, "given_by_name": "Асанова", "given_at": given_at},
                headers=_worker(auth),
            )
            assert response.status_code == 201, response.text

        everything = await registry_client.get(consents, headers=_worker(auth))
        sharing = await registry_client.get(
            consents, params={"scope": "contact_sharing"}, headers=auth("auditor")
        )

        assert everything.status_code == 200
        assert [c["scope"] for c in everything.json()["items"]] == [
            "contact_sharing",
            "data_processing",
        ]
        assert everything.json()["total"] == 2
        assert [c["scope"] for c in sharing.json()["items"]] == ["contact_sharing"]
