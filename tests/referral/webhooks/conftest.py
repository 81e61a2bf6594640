"""A real HTTP receiver for webhooks, fresh partner organisations, referral events."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from kamkor_common.events.envelope import CloudEvent, new_event
from kamkor_common.events.schemas import referral as referral_events
from kamkor_common.events.topics import REFERRAL_REFERRALS
from kamkor_common.reference.partners import SeedOrganization, SeedService
from kamkor_common.testing import free_socket, serving_app, wait_until
from kamkor_referral.directory.service import seed_directory

# Short waits for tests: the first attempt at once, then retries half a second apart.
FAST_SCHEDULE = [0.0, 0.5, 0.5, 0.5, 0.5, 0.5]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An ASGI app that records every request and answers with `status`."""

    status: int = 204
    received: list[Received] = field(default_factory=list)
    url: str = ""

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
        self.received.append(Received(path=scope["path"], headers=headers, body=body))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def of_type(self, event_type: str) -> list[Received]:
        return [r for r in self.received if r.json()["type"] == event_type]

    async def wait_for(self, count: int, timeout_s: float = 20) -> list[Received]:
        await wait_until(lambda: len(self.received) >= count, timeout_s=timeout_s)
        return self.received


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A receiver listening on a free loopback port."""
    found = Receiver()
    async with serving_app(found) as url:
        found.url = f"{url}/hooks"
        yield found


@pytest.fixture
def down_socket() -> socket.socket:
    """A port bound but not listening: connections to it are refused until it serves."""
    return free_socket()


@pytest.fixture
def fast_retries(referral: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(referral.settings, "WEBHOOK_RETRY_SCHEDULE_S", FAST_SCHEDULE)


async def new_organization(referral: Any, *services: SeedService) -> str:
    """A partner organisation of its own for one test."""
    organization_id = str(uuid.uuid4())
    seed = SeedOrganization(
        id=organization_id,
        name=f"Webhook test partner {organization_id[:8]}",
        type="ngo",
        languages=("ky", "ru"),
        services=services,
    )
    async with referral.database.sessionmaker() as session, session.begin():
        await seed_directory(session=session, organizations=[seed])
    return organization_id


def admin_url(organization_id: str) -> str:
    return f"/api/v1/partners/{organization_id}/webhook-endpoints"


PARTNER_URL = "/partner/v1/webhook-endpoints"


async def create_endpoint(
    referral: Any, organization_id: str, url: str, event_types: list[str] | None = None
) -> dict[str, Any]:
    """Register an endpoint as the organisation's partner; the answer holds the secret."""
    response = await referral.client.post(
        PARTNER_URL,
        json={"url": url, "event_types": event_types or ["*"]},
        headers=referral.token("partner", organization_id=organization_id),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def referral_changed(
    organization_id: str,
    type: str = referral_events.REFERRAL_ROUTED.type,
    referral_id: str | None = None,
    status: str = "requested",
) -> CloudEvent:
    """A ReferralChanged event naming the organisation, as the referral service writes it."""
    referral_id = referral_id or str(uuid.uuid4())
    data = referral_events.ReferralChanged(
        referral_id=referral_id,
        household_id=str(uuid.uuid4()),
        service_type="home_care_support",
        priority="urgent",
        status=status,
        organization_id=organization_id,
        service_id=str(uuid.uuid4()),
        attempt=1,
    )
    return new_event(
        source=referral_events.SOURCE,
        type=type,
        key=referral_id,
        data=data,
        subject=f"referral/{referral_id}",
    )


async def publish(referral: Any, event: CloudEvent) -> CloudEvent:
    await referral.send(REFERRAL_REFERRALS, event)
    return event


async def deliveries(
    referral: Any, organization_id: str, endpoint_id: str, **params: Any
) -> list[dict[str, Any]]:
    response = await referral.client.get(
        f"{PARTNER_URL}/{endpoint_id}/deliveries",
        params=params,
        headers=referral.token("partner", organization_id=organization_id),
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def wait_for_delivery(
    referral: Any,
    organization_id: str,
    endpoint_id: str,
    condition: Any,
    timeout_s: float = 20,
) -> list[dict[str, Any]]:
    """Poll the endpoint's deliveries until the condition holds on them."""
    found: list[dict[str, Any]] = []

    async def reached() -> bool:
        found[:] = await deliveries(referral, organization_id, endpoint_id)
        return bool(condition(found))

    await wait_until(reached, timeout_s=timeout_s, interval_s=0.1)
    return found
