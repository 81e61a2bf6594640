"""Delivery over real HTTP: signatures, retries, 410, rotation, the log and redelivery."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from kamkor_common.auth import Principal
from kamkor_common.db import Database, migrate
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.testing import serving_app
from kamkor_referral.config import ReferralSettings
from kamkor_referral.directory.models import Organization
from kamkor_referral.main import MIGRATIONS
from kamkor_referral.webhooks import service as webhook_service
from kamkor_referral.webhooks import worker
from kamkor_referral.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from kamkor_referral.webhooks.schemas import WebhookEndpointCreate
from tests.referral.webhooks.conftest import (
    PARTNER_URL,
    Receiver,
    create_endpoint,
    new_organization,
    publish,
    referral_changed,
    wait_for_delivery,
)


def partner(referral: Any, organization_id: str) -> dict[str, str]:
    return dict(referral.token("partner", organization_id=organization_id))


class TestDelivery:
    async def test_signed_thin_payload_verifies_with_the_endpoint_secret(
        self, referral: Any, receiver: Receiver
    ) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        event = await publish(referral, referral_changed(org))

        (got,) = await receiver.wait_for(1)
        payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
        assert payload["type"] == referral_events.REFERRAL_ROUTED.type
        assert payload["data"]["referral_id"] == event.data["referral_id"]
        assert payload["data"]["household_id"] == event.data["household_id"]
        assert payload["data"]["organization_id"] == org
        assert payload["data"]["status"] == "requested"
        assert payload["timestamp"]
        assert got.path == "/hooks"
        assert got.headers["webhook-signature"].startswith("v1,")
        with pytest.raises(WebhookVerificationError):
            Webhook(endpoint["secret"]).verify(
                got.body.replace(b"requested", b"accepted"), got.headers
            )

        (delivery,) = await wait_for_delivery(
            referral, org, endpoint["id"], lambda d: d and d[0]["status"] == "delivered"
        )
        assert got.headers["webhook-id"] == delivery["id"]
        assert delivery["attempts"] == 1
        assert delivery["last_status_code"] == 204

    async def test_only_subscribed_types_and_own_organisation_are_delivered(
        self, referral: Any, receiver: Receiver
    ) -> None:
        org, other = await new_organization(referral), await new_organization(referral)
        endpoint = await create_endpoint(
            referral, org, receiver.url, [referral_events.REFERRAL_ACCEPTED.type]
        )
        routed = await publish(
            referral, referral_changed(org, referral_events.REFERRAL_ROUTED.type)
        )
        elsewhere = await publish(
            referral, referral_changed(other, referral_events.REFERRAL_ACCEPTED.type)
        )
        accepted = await publish(
            referral,
            referral_changed(org, referral_events.REFERRAL_ACCEPTED.type, status="accepted"),
        )
        for event in (routed, elsewhere, accepted):
            await referral.wait_handled(event)
        (only,) = await wait_for_delivery(referral, org, endpoint["id"], lambda d: True)
        assert only["event_id"] == accepted.id
        (got,) = await receiver.wait_for(1)
        assert got.json()["data"]["referral_id"] == accepted.data["referral_id"]

    async def test_a_redelivered_event_makes_one_delivery(
        self, referral: Any, receiver: Receiver
    ) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        event = referral_changed(org)
        await publish(referral, event)
        await publish(referral, event)
        later = referral_changed(org, referral_events.REFERRAL_ACCEPTED.type)
        # Same key, same partition: handled after both copies of the first.
        later = later.model_copy(update={"partitionkey": event.partitionkey})
        await publish(referral, later)
        await referral.wait_handled(later)
        found = await wait_for_delivery(referral, org, endpoint["id"], lambda d: len(d) >= 2)
        assert sorted(d["event_id"] for d in found) == sorted([event.id, later.id])


class TestRetries:
    async def test_a_receiver_that_is_down_gets_the_delivery_once_back(
        self, referral: Any, fast_retries: None, down_socket: socket.socket
    ) -> None:
        org = await new_organization(referral)
        port = down_socket.getsockname()[1]
        endpoint = await create_endpoint(referral, org, f"http://127.0.0.1:{port}/hooks")
        event = await publish(referral, referral_changed(org))

        await wait_for_delivery(
            referral, org, endpoint["id"], lambda d: d and d[0]["attempts"] >= 2
        )
        back = Receiver()
        async with serving_app(back, down_socket):
            (got,) = await back.wait_for(1)
            Webhook(endpoint["secret"]).verify(got.body, got.headers)
            assert got.json()["data"]["referral_id"] == event.data["referral_id"]
            (delivery,) = await wait_for_delivery(
                referral, org, endpoint["id"], lambda d: d[0]["status"] == "delivered"
            )
        assert delivery["attempts"] >= 3
        log = await referral.client.get(
            f"{PARTNER_URL}/{endpoint['id']}/attempts", headers=partner(referral, org)
        )
        attempts = log.json()["items"]
        assert log.json()["total"] == delivery["attempts"]
        assert attempts[0]["status_code"] == 204
        assert all(a["status_code"] is None and a["error"] for a in attempts[1:])

    async def test_after_the_last_attempt_the_delivery_fails(
        self, referral: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(referral.settings, "WEBHOOK_RETRY_SCHEDULE_S", [0, 0.2, 0.2])
        receiver.status = 503
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        await publish(referral, referral_changed(org))
        (delivery,) = await wait_for_delivery(
            referral, org, endpoint["id"], lambda d: d and d[0]["status"] == "failed"
        )
        assert delivery["attempts"] == 3
        assert delivery["last_status_code"] == 503
        assert len(receiver.received) == 3
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert ids == {delivery["id"]}, "every attempt carries the same webhook-id"

    async def test_410_disables_the_endpoint_and_stops_its_pending_deliveries(
        self, referral: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A failed first delivery waits a minute for its retry, pending, when 410 comes.
        monkeypatch.setattr(referral.settings, "WEBHOOK_RETRY_SCHEDULE_S", [0, 60])
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        receiver.status = 500
        await publish(referral, referral_changed(org))
        await wait_for_delivery(referral, org, endpoint["id"], lambda d: d and d[0]["attempts"])
        receiver.status = 410
        await publish(referral, referral_changed(org))

        found = await wait_for_delivery(
            referral, org, endpoint["id"], lambda d: {x["status"] for x in d} == {"cancelled"}
        )
        assert len(found) == 2
        read = await referral.client.get(
            f"{PARTNER_URL}/{endpoint['id']}", headers=partner(referral, org)
        )
        assert read.json()["status"] == "disabled"
        assert "410" in read.json()["disabled_reason"]
        assert len(receiver.received) == 2

        after = await publish(referral, referral_changed(org))
        await referral.wait_handled(after)
        assert len(await wait_for_delivery(referral, org, endpoint["id"], lambda d: True)) == 2
        redeliver = await referral.client.post(
            f"{PARTNER_URL}/{endpoint['id']}/deliveries/{found[0]['id']}/redeliver",
            headers=partner(referral, org),
        )
        assert redeliver.status_code == 409
        assert redeliver.json()["code"] == "webhook_endpoint_disabled"


class TestRotation:
    async def test_both_secrets_verify_during_the_overlap_then_only_the_new(
        self, referral: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        rotate = f"{PARTNER_URL}/{endpoint['id']}/rotate-secret"
        first = endpoint["secret"]
        second = (await referral.client.post(rotate, headers=partner(referral, org))).json()
        await publish(referral, referral_changed(org))
        (got,) = await receiver.wait_for(1)
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        Webhook(first).verify(got.body, got.headers)
        Webhook(second["secret"]).verify(got.body, got.headers)

        monkeypatch.setattr(referral.settings, "WEBHOOK_SECRET_OVERLAP_HOURS", 0)
        third = (await referral.client.post(rotate, headers=partner(referral, org))).json()
        await publish(referral, referral_changed(org))
        got = (await receiver.wait_for(2))[1]
        Webhook(third["secret"]).verify(got.body, got.headers)
        for old in (first, second["secret"]):
            with pytest.raises(WebhookVerificationError):
                Webhook(old).verify(got.body, got.headers)


class TestLogAndRedelivery:
    async def test_redelivery_resends_with_the_same_id_and_logs_each_attempt(
        self, referral: Any, receiver: Receiver
    ) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        await publish(referral, referral_changed(org))
        (delivery,) = await wait_for_delivery(
            referral, org, endpoint["id"], lambda d: d and d[0]["status"] == "delivered"
        )
        base = f"{PARTNER_URL}/{endpoint['id']}"
        admin_base = f"/api/v1/partners/{org}/webhook-endpoints/{endpoint['id']}"
        again = await referral.client.post(
            f"{admin_base}/deliveries/{delivery['id']}/redeliver", headers=referral.token()
        )
        assert again.status_code == 202, again.text
        await receiver.wait_for(2)
        first, second = receiver.received
        assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery["id"]
        assert first.body == second.body
        Webhook(endpoint["secret"]).verify(second.body, second.headers)

        await wait_for_delivery(referral, org, endpoint["id"], lambda d: d[0]["attempts"] == 2)
        page = await referral.client.get(
            f"{base}/attempts", params={"limit": 1}, headers=partner(referral, org)
        )
        assert page.status_code == 200
        assert page.json()["total"] == 2
        assert len(page.json()["items"]) == 1
        item = page.json()["items"][0]
        assert item["delivery_id"] == delivery["id"]
        assert item["status_code"] == 204
        assert item["duration_ms"] >= 0
        assert item["attempted_at"]
        delivered = await referral.client.get(
            f"{base}/deliveries", params={"status": "delivered"}, headers=partner(referral, org)
        )
        assert [d["id"] for d in delivered.json()["items"]] == [delivery["id"]]
        missing = await referral.client.post(
            f"{base}/deliveries/00000000-0000-4000-8000-000000000000/redeliver",
            headers=partner(referral, org),
        )
        assert missing.status_code == 404
        assert missing.json()["code"] == "webhook_delivery_not_found"

    async def test_ping_sends_a_signed_test_delivery(
        self, referral: Any, receiver: Receiver
    ) -> None:
        org = await new_organization(referral)
        endpoint = await create_endpoint(referral, org, receiver.url)
        ping = await referral.client.post(
            f"{PARTNER_URL}/{endpoint['id']}/ping", headers=partner(referral, org)
        )
        assert ping.status_code == 202, ping.text
        (got,) = await receiver.wait_for(1)
        payload = Webhook(endpoint["secret"]).verify(got.body, got.headers)
        assert payload["type"] == "kamkor.webhook.ping.v1"
        assert payload["data"] == {"endpoint_id": endpoint["id"], "organization_id": org}


class TestOnSqlite:
    async def test_the_worker_delivers_on_the_one_connection_sqlite_has(
        self, tmp_path: Path, receiver: Receiver
    ) -> None:
        """The embedded default: the timer's own session must not take the only connection."""
        settings = ReferralSettings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/referral.db")
        database = Database(settings.DATABASE_URL)
        try:
            await migrate(database.engine, MIGRATIONS)
            admin = Principal(subject="test", role="admin")
            async with database.sessionmaker() as session, session.begin():
                session.add(Organization(id="org-1", name="Partner", type="ngo"))
                await session.flush()
                endpoint = await webhook_service.create_endpoint(
                    session=session,
                    principal=admin,
                    organization_id="org-1",
                    endpoint_in=WebhookEndpointCreate(url=receiver.url, event_types=["*"]),
                    settings=settings,
                )
                event = referral_changed("org-1")
                assert await webhook_service.enqueue(session=session, event=event) == 1
                assert await webhook_service.enqueue(session=session, event=event) == 0

            timer = worker.timer(settings)
            async with database.sessionmaker() as session, session.begin():
                await timer.run(session)

            (got,) = receiver.received
            Webhook(endpoint.secret).verify(got.body, got.headers)
            async with database.sessionmaker() as session:
                delivery = await session.get(WebhookDelivery, got.headers["webhook-id"])
            assert delivery is not None
            assert delivery.status == DeliveryStatus.DELIVERED
            assert delivery.event_id == event.id

            # Retention 0: the finished delivery and its attempt are purged, the endpoint stays.
            purge = worker.timers(settings.model_copy(update={"WEBHOOK_RETENTION_DAYS": 0}))[1]
            async with database.sessionmaker() as session, session.begin():
                await purge.run(session)
            async with database.sessionmaker() as session:
                assert await session.get(WebhookDelivery, delivery.id) is None
                assert (await session.scalars(select(WebhookAttempt))).all() == []
                assert await session.get(WebhookEndpoint, endpoint.id) is not None
        finally:
            await database.dispose()
