"""Every read and change of a record is in the audit trail, which only auditors read."""

from __future__ import annotations

import httpx

from tests.registry.conftest import Auth, NewHousehold

URL = "/api/v1/registry/households"
AUDIT = "/api/v1/registry/audit"


class TestAuditTrail:
    async def test_a_registration_and_a_read_are_recorded_with_who_and_why(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        worker = auth("social_worker", region="KG-J", districts=["KG-J-06"])
        created = await registry_client.post(URL, json=new_household(), headers=worker)
        household_id = created.json()["id"]
        read = await registry_client.get(
            f"{URL}/{household_id}", params={"purpose": "home visit 2026-H2"}, headers=worker
        )
        assert read.status_code == 200

        trail = await registry_client.get(
            AUDIT, params={"household_id": household_id}, headers=auth("auditor")
        )

        assert trail.status_code == 200, trail.text
        entries = trail.json()["items"]
        assert [(e["action"], e["entity"]) for e in entries if e["entity"] == "household"] == [
            ("read", "household"),
            ("create", "household"),
        ]
        newest = entries[0]
        assert (newest["actor"], newest["role"], newest["purpose"]) == (
            "test-user",
            "social_worker",
            "home visit 2026-H2",
        )
        people = {e["person_id"] for e in entries if e["entity"] == "person"}
        assert people == {m["person_id"] for m in created.json()["members"]}

    async def test_the_purpose_header_is_kept(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        created = await registry_client.post(URL, json=new_household(), headers=auth("admin"))
        household_id = created.json()["id"]
        await registry_client.get(
            f"{URL}/{household_id}", headers={**auth("admin"), "X-Purpose": "court request 17"}
        )

        trail = await registry_client.get(
            AUDIT, params={"household_id": household_id}, headers=auth("auditor")
        )

        assert trail.json()["items"][0]["purpose"] == "court request 17"

    async def test_only_auditors_and_admins_read_the_trail(
        self, registry_client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await registry_client.get(AUDIT, headers=auth("supervisor", region="KG-J"))

        assert response.status_code == 403
