"""On real processes: a screening's shelter referral reaches the partner's webhook receiver,
signed, through the gateway, the broker, the outbox and the delivery worker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.testing import dev_token, serving_app, wait_until
from kamkor_gateway.devrun import Platform

HOUSEHOLD = {
    "region": "KG-J",
    "district": "KG-J-06",
    "settlement": "Suzak",
    "address": "Lenin st. 4",
    "language": "ky",
    "members": [
        {
            "role": "parent",
            "family_name": "Осмонова",
            "given_name": "Жылдыз",
            "sex": "female",
            "birth_date": "1990-05-11",
        },
        {
            "role": "child",
            "family_name": "Осмонов",
            "given_name": "Эмир",
            "sex": "male",
            "birth_date": "2019-02-03",
        },
    ],
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """The partners' systems: one HTTP server, a path per organisation."""

    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.received.append(Received(scope["path"], headers, body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    found = Receiver()
    async with serving_app(found) as url:
        yield found, url


def _auth(role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev_token(role, **claims)}"}


class TestPartnerWebhook:
    async def test_shelter_partner_receives_a_signed_routed_webhook(
        self, platform: Platform, receiver: tuple[Receiver, str]
    ) -> None:
        inbox, base_url = receiver
        admin = _auth("admin")
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=15) as api:
            partners = await api.get("/api/v1/partners", params={"limit": 500}, headers=admin)
            assert partners.status_code == 200, partners.text
            endpoints: dict[str, dict[str, Any]] = {}
            for organisation in partners.json()["items"]:
                org = organisation["id"]
                created = await api.post(
                    f"/api/v1/partners/{org}/webhook-endpoints",
                    json={"url": f"{base_url}/{org}", "event_types": ["*"]},
                    headers=admin,
                )
                assert created.status_code == 201, created.text
                endpoints[org] = created.json()
            try:
                await self._screen_and_receive(api, inbox, endpoints)
            finally:
                for org, endpoint in endpoints.items():
                    await api.delete(
                        f"/api/v1/partners/{org}/webhook-endpoints/{endpoint['id']}", headers=admin
                    )

    async def _screen_and_receive(
        self, api: httpx.AsyncClient, inbox: Receiver, endpoints: dict[str, dict[str, Any]]
    ) -> None:
        worker = _auth("social_worker", region="KG-J", districts=["KG-J-06"])
        household = await api.post("/api/v1/registry/households", json=HOUSEHOLD, headers=worker)
        assert household.status_code == 201, household.text
        household_id = household.json()["id"]
        screening = await api.post(
            "/api/v1/risk/screenings",
            json={"household_id": household_id, "answers": {"eviction_notice_days": 5}},
            headers=worker,
        )
        assert screening.status_code == 201, screening.text

        shelter: dict[str, Any] = {}

        async def routed() -> bool:
            response = await api.get(
                "/api/v1/referrals", params={"household_id": household_id}, headers=worker
            )
            found = {r["service_type"]: r for r in response.json()["items"]}
            shelter.update(found.get("temporary_shelter") or {})
            return bool(shelter.get("partner"))

        await wait_until(routed, timeout_s=60, interval_s=0.1)
        org = shelter["partner"]["organization_id"]

        def routed_webhooks() -> list[Received]:
            return [
                r
                for r in inbox.received
                if r.path == f"/{org}"
                and json.loads(r.body)["type"] == referral_events.REFERRAL_ROUTED.type
                and json.loads(r.body)["data"]["referral_id"] == shelter["id"]
            ]

        await wait_until(lambda: bool(routed_webhooks()), timeout_s=60, interval_s=0.1)
        got = routed_webhooks()[0]
        payload = Webhook(endpoints[org]["secret"]).verify(got.body, got.headers)
        assert payload["data"]["household_id"] == household_id
        assert payload["data"]["organization_id"] == org
        assert "Осмонова" not in got.body.decode()
        assert "Lenin" not in got.body.decode()

        endpoint_id = endpoints[org]["id"]
        partner = _auth("partner", organization_id=org)

        async def logged() -> bool:
            response = await api.get(
                f"/partner/v1/webhook-endpoints/{endpoint_id}/deliveries",
                params={"status": "delivered"},
                headers=partner,
            )
            assert response.status_code == 200, response.text
            return any(d["id"] == got.headers["webhook-id"] for d in response.json()["items"])

        await wait_until(logged, timeout_s=20, interval_s=0.1)
