"""Webhook endpoints over HTTP: registration, validation, secrets, who may touch what."""

from __future__ import annotations

from typing import Any

from kamkor_common.events.schemas import referral as referral_events
from kamkor_referral.webhooks.models import WebhookEndpoint
from tests.referral.webhooks.conftest import (
    PARTNER_URL,
    admin_url,
    create_endpoint,
    new_organization,
)

LOCAL = "http://127.0.0.1:9/hooks"


def partner(referral: Any, organization_id: str | None) -> dict[str, str]:
    return dict(referral.token("partner", organization_id=organization_id))


class TestRegistration:
    async def test_secret_is_shown_once_and_stored_encrypted(self, referral: Any) -> None:
        org = await new_organization(referral)
        created = await create_endpoint(
            referral, org, LOCAL, [referral_events.REFERRAL_ROUTED.type]
        )
        assert created["secret"].startswith("whsec_")
        assert created["status"] == "enabled"
        assert created["event_types"] == [referral_events.REFERRAL_ROUTED.type]

        read = await referral.client.get(
            f"{PARTNER_URL}/{created['id']}", headers=partner(referral, org)
        )
        assert read.status_code == 200, read.text
        assert "secret" not in read.json()
        listed = await referral.client.get(PARTNER_URL, headers=partner(referral, org))
        assert [e["id"] for e in listed.json()["items"]] == [created["id"]]
        assert "secret" not in listed.json()["items"][0]

        async with referral.database.sessionmaker() as session:
            row = await session.get(WebhookEndpoint, created["id"])
        assert row is not None
        assert created["secret"] not in row.secret_encrypted
        assert created["secret"].removeprefix("whsec_") not in row.secret_encrypted

    async def test_admin_registers_for_any_organisation(self, referral: Any) -> None:
        org = await new_organization(referral)
        response = await referral.client.post(
            admin_url(org), json={"url": LOCAL, "event_types": ["*"]}, headers=referral.token()
        )
        assert response.status_code == 201, response.text
        assert response.json()["organization_id"] == org

    async def test_unknown_organisation_is_404(self, referral: Any) -> None:
        response = await referral.client.post(
            admin_url("00000000-0000-4000-8000-000000000000"),
            json={"url": LOCAL, "event_types": ["*"]},
            headers=referral.token(),
        )
        assert response.status_code == 404
        assert response.json()["code"] == "organization_not_found"

    async def test_plain_http_to_a_public_host_is_refused(self, referral: Any) -> None:
        org = await new_organization(referral)
        for url in (
            "http://partner.example.org/hooks",
            "ftp://partner.example.org",
            "/hooks",
            "https://partner example.org/",
            "https://partner.example.org:0/",
        ):
            response = await referral.client.post(
                PARTNER_URL, json={"url": url, "event_types": ["*"]}, headers=partner(referral, org)
            )
            assert response.status_code == 422, url
            assert response.json()["code"] == "webhook_url_invalid"
        credentials = await referral.client.post(
            PARTNER_URL,
            json={"url": "https://user:pw@partner.example.org/", "event_types": ["*"]},
            headers=partner(referral, org),
        )
        assert credentials.json()["code"] == "webhook_url_invalid"
        https = await referral.client.post(
            PARTNER_URL,
            json={"url": "https://partner.example.org/hooks", "event_types": ["*"]},
            headers=partner(referral, org),
        )
        assert https.status_code == 201, https.text

    async def test_event_types_must_be_referral_events(self, referral: Any) -> None:
        org = await new_organization(referral)
        for wrong in (["kamkor.risk.family.flagged.v1"], [referral_events.BED_HOLD_REQUESTED.type]):
            response = await referral.client.post(
                PARTNER_URL,
                json={"url": LOCAL, "event_types": wrong},
                headers=partner(referral, org),
            )
            assert response.status_code == 422
            assert response.json()["code"] == "webhook_event_type_unknown"
        empty = await referral.client.post(
            PARTNER_URL, json={"url": LOCAL, "event_types": []}, headers=partner(referral, org)
        )
        assert empty.status_code == 422

        types = await referral.client.get(
            "/partner/v1/webhook-event-types", headers=partner(referral, org)
        )
        assert types.status_code == 200
        assert referral_events.REFERRAL_ACCEPTED.type in types.json()["event_types"]
        assert referral_events.BED_HOLD_REQUESTED.type not in types.json()["event_types"]

    async def test_update_disable_enable_and_delete(self, referral: Any) -> None:
        org = await new_organization(referral)
        created = await create_endpoint(referral, org, LOCAL)
        url = f"{PARTNER_URL}/{created['id']}"
        disabled = await referral.client.patch(
            url,
            json={"enabled": False, "disabled_reason": "maintenance", "description": "CRM"},
            headers=partner(referral, org),
        )
        assert disabled.status_code == 200, disabled.text
        assert disabled.json()["status"] == "disabled"
        assert disabled.json()["disabled_reason"] == "maintenance"
        assert disabled.json()["description"] == "CRM"
        enabled = await referral.client.patch(
            url,
            json={"enabled": True, "event_types": [referral_events.REFERRAL_ACCEPTED.type]},
            headers=partner(referral, org),
        )
        assert enabled.json()["status"] == "enabled"
        assert enabled.json()["disabled_reason"] is None
        assert enabled.json()["event_types"] == [referral_events.REFERRAL_ACCEPTED.type]
        bad = await referral.client.patch(
            url, json={"url": "http://example.org"}, headers=partner(referral, org)
        )
        assert bad.status_code == 422

        deleted = await referral.client.delete(url, headers=partner(referral, org))
        assert deleted.status_code == 204
        gone = await referral.client.get(url, headers=partner(referral, org))
        assert gone.status_code == 404
        assert gone.json()["code"] == "webhook_endpoint_not_found"

    async def test_rotation_shows_a_new_secret_with_an_overlap(self, referral: Any) -> None:
        org = await new_organization(referral)
        created = await create_endpoint(referral, org, LOCAL)
        rotated = await referral.client.post(
            f"{PARTNER_URL}/{created['id']}/rotate-secret", headers=partner(referral, org)
        )
        assert rotated.status_code == 200, rotated.text
        assert rotated.json()["secret"].startswith("whsec_")
        assert rotated.json()["secret"] != created["secret"]
        assert rotated.json()["previous_secret_expires_at"] is not None


class TestAccess:
    async def test_a_partner_cannot_see_or_touch_another_organisations_endpoints(
        self, referral: Any
    ) -> None:
        mine, theirs = await new_organization(referral), await new_organization(referral)
        endpoint = await create_endpoint(referral, theirs, LOCAL)
        me = partner(referral, mine)
        own = f"{PARTNER_URL}/{endpoint['id']}"

        for method, path in (
            ("GET", own),
            ("PATCH", own),
            ("DELETE", own),
            ("POST", f"{own}/rotate-secret"),
            ("POST", f"{own}/ping"),
            ("GET", f"{own}/deliveries"),
            ("GET", f"{own}/attempts"),
        ):
            response = await referral.client.request(
                method, path, headers=me, json={} if method == "PATCH" else None
            )
            assert response.status_code == 404, (method, path, response.text)

        listed = await referral.client.get(PARTNER_URL, headers=me)
        assert listed.json()["items"] == []
        for method in ("GET", "POST"):
            response = await referral.client.request(
                method,
                admin_url(theirs),
                headers=me,
                json={"url": LOCAL, "event_types": ["*"]} if method == "POST" else None,
            )
            assert response.status_code == 403, response.text
        still = await referral.client.get(own, headers=partner(referral, theirs))
        assert still.status_code == 200

    async def test_other_roles_and_tokens_without_an_organisation_are_refused(
        self, referral: Any
    ) -> None:
        org = await new_organization(referral)
        worker = referral.token("social_worker", region="KG-C", districts=["KG-C-01"])
        assert (await referral.client.get(admin_url(org), headers=worker)).status_code == 403
        assert (await referral.client.get(PARTNER_URL, headers=worker)).status_code == 403
        no_org = await referral.client.get(PARTNER_URL, headers=partner(referral, None))
        assert no_org.status_code == 403
        assert no_org.json()["code"] == "organization_scope_missing"
        assert (await referral.client.get(PARTNER_URL)).status_code == 401


class TestOrganisationRemoved:
    async def test_removing_an_organisation_removes_its_endpoints(self, referral: Any) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, LOCAL)
        removed = await referral.client.delete(f"/api/v1/partners/{org}", headers=referral.token())
        assert removed.status_code == 204, removed.text
        async with referral.database.sessionmaker() as session:
            assert await session.get(WebhookEndpoint, endpoint["id"]) is None
