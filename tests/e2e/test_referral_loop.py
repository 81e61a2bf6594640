"""The referral loop closed on five processes: partner, consent, completion, deadlines.

A family screened in Suzak is referred to legal aid; the partner accepts, reads the
family's contact details (a consent recorded in the registry), starts and completes with
`got_help`, and the family view shows every step with its time. On a platform whose stat
deadline is seconds long, a referral nobody answers moves on at its deadline, ends
unassigned, shows in the supervisor's queue and is assigned by hand.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from kamkor_common.messaging.broker import free_port
from kamkor_common.reference.partners import LEGAL_AID
from kamkor_common.testing import dev_token, serving_app, wait_until
from kamkor_gateway.devrun import DEFAULT_PORTS, SERVICES, Platform

REGION, DISTRICT = "KG-J", "KG-J-06"


def household(family_name: str) -> dict[str, Any]:
    return {
        "region": REGION,
        "district": DISTRICT,
        "settlement": "Suzak",
        "address": "Manas st. 7",
        "phone": "+996555123456",
        "language": "ky",
        "members": [
            {
                "role": "parent",
                "family_name": family_name,
                "given_name": "Гулзат",
                "sex": "female",
                "birth_date": "1992-07-21",
            },
            {
                "role": "child",
                "family_name": family_name,
                "given_name": "Нурай",
                "sex": "female",
                "birth_date": "2018-04-02",
            },
        ],
    }


def bearer(role: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {dev_token(role, **claims)}"}


WORKER = bearer("social_worker", region=REGION, districts=[DISTRICT])
SUPERVISOR = bearer("supervisor", region=REGION)
LEGAL_AID_PARTNER = bearer("partner", organization_id=LEGAL_AID)


def once() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def screened_family(api: httpx.AsyncClient, family_name: str) -> str:
    """A household registered and screened for an eviction in three days."""
    created = await api.post(
        "/api/v1/registry/households", json=household(family_name), headers=WORKER
    )
    assert created.status_code == 201, created.text
    household_id: str = created.json()["id"]
    screening = await api.post(
        "/api/v1/risk/screenings",
        json={"household_id": household_id, "answers": {"eviction_notice_days": 3}},
        headers=WORKER,
    )
    assert screening.status_code == 201, screening.text
    return household_id


async def referral_for(
    api: httpx.AsyncClient, household_id: str, service_type: str, status: str
) -> dict[str, Any]:
    """The household's referral of a service type once it has reached `status`."""
    found: dict[str, Any] = {}

    async def reached() -> bool:
        page = await api.get(
            "/api/v1/referrals", params={"household_id": household_id}, headers=WORKER
        )
        assert page.status_code == 200, page.text
        for referral in page.json()["items"]:
            if referral["service_type"] == service_type and referral["status"] == status:
                found.update(referral)
                return True
        return False

    await wait_until(reached, timeout_s=45, interval_s=0.25)
    return found


@dataclass
class PartnerSystem:
    """The legal-aid organisation's own system: a real HTTP server taking webhooks."""

    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append(({k.decode(): v.decode() for k, v in scope["headers"]}, body))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def verified(self, secret: str, event_type: str) -> list[dict[str, Any]]:
        """The payloads of one type whose signature verifies with the endpoint's secret."""
        found = []
        for headers, body in self.received:
            if json.loads(body)["type"] == event_type:
                found.append(Webhook(secret).verify(body, headers))
        return found


@pytest.fixture
async def partner_system(platform: Platform) -> AsyncIterator[tuple[PartnerSystem, str]]:
    """The receiver, registered by the partner itself for every referral event."""
    system = PartnerSystem()
    async with (
        serving_app(system) as url,
        httpx.AsyncClient(base_url=platform.gateway_url, timeout=15) as api,
    ):
        created = await api.post(
            "/partner/v1/webhook-endpoints",
            json={"url": f"{url}/kamkor", "event_types": ["*"]},
            headers=LEGAL_AID_PARTNER,
        )
        assert created.status_code == 201, created.text
        endpoint = created.json()
        try:
            yield system, endpoint["secret"]
        finally:
            await api.delete(
                f"/partner/v1/webhook-endpoints/{endpoint['id']}", headers=LEGAL_AID_PARTNER
            )


class TestPartnerClosesTheLoop:
    async def test_webhook_accept_contact_start_complete_and_the_family_view_shows_the_path(
        self, platform: Platform, partner_system: tuple[PartnerSystem, str]
    ) -> None:
        system, secret = partner_system
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=15) as api:
            household_id = await screened_family(api, "Токтосунова")

            # The partner learns of the referral from its signed webhook, not by polling.
            routed: list[dict[str, Any]] = []

            async def notified() -> bool:
                routed[:] = [
                    p
                    for p in system.verified(secret, "kamkor.referral.referral.routed.v1")
                    if p["data"].get("household_id") == household_id
                ]
                return bool(routed)

            await wait_until(notified, timeout_s=45, interval_s=0.2)
            referral_id = routed[0]["data"]["referral_id"]
            referral = await referral_for(api, household_id, "legal_aid", "requested")
            assert referral["id"] == referral_id
            assert referral["partner"]["organization_id"] == LEGAL_AID
            assert all("Токтосунова" not in body.decode() for _, body in system.received)
            path = f"/partner/v1/referrals/{referral_id}"

            summary = await api.get(path, headers=LEGAL_AID_PARTNER)
            assert summary.status_code == 200, summary.text
            assert "Токтосунова" not in summary.text  # no names before acceptance

            accepted = await api.post(f"{path}/accept", headers={**LEGAL_AID_PARTNER, **once()})
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["status"] == "accepted"

            # Accepted, but nobody has consented yet: no contact details.
            refused = await api.get(f"{path}/contact", headers=LEGAL_AID_PARTNER)
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "consent_required"

            consent = await api.post(
                f"/api/v1/registry/households/{household_id}/consents",
                json={"scope": "contact_sharing", "given_by_name": "Гулзат Токтосунова"},
                headers={**WORKER, **once()},
            )
            assert consent.status_code == 201, consent.text

            contact: dict[str, Any] = {}

            async def consent_reached_referral() -> bool:
                answer = await api.get(f"{path}/contact", headers=LEGAL_AID_PARTNER)
                if answer.status_code == 200:
                    contact.update(answer.json())
                    return True
                assert answer.status_code == 403, answer.text
                return False

            await wait_until(consent_reached_referral, timeout_s=30, interval_s=0.25)
            assert contact["household_id"] == household_id
            assert contact["phone"] == "+996555123456"
            names = {(p["family_name"], p["given_name"]) for p in contact["contacts"]}
            assert ("Токтосунова", "Гулзат") in names
            assert ("Токтосунова", "Нурай") not in names  # the adults only

            started = await api.post(f"{path}/start", headers={**LEGAL_AID_PARTNER, **once()})
            assert started.status_code == 200, started.text
            completed = await api.post(
                f"{path}/complete",
                json={"outcome": "got_help", "note": "eviction suspended by the court"},
                headers={**LEGAL_AID_PARTNER, **once()},
            )
            assert completed.status_code == 200, completed.text
            assert completed.json()["status"] == "completed"

            # A completed referral takes no further step.
            again = await api.post(f"{path}/start", headers={**LEGAL_AID_PARTNER, **once()})
            assert again.status_code == 409
            assert again.json()["code"] == "invalid_transition"

            family = await api.get(f"/api/v1/families/{household_id}", headers=WORKER)
            assert family.status_code == 200, family.text
            legal_aid = next(
                r for r in family.json()["referrals"] if r["service_type"] == "legal_aid"
            )
            steps = legal_aid["history"]
            statuses = [step["status"] for step in steps]
            assert statuses[-4:] == ["requested", "accepted", "in_progress", "completed"]
            times = [datetime.fromisoformat(step["at"]) for step in steps]
            assert times == sorted(times)
            assert steps[-1]["outcome"] == "got_help"
            assert steps[-1]["organization_id"] == LEGAL_AID

            async def told_of_every_step() -> bool:
                return all(
                    any(
                        p["data"].get("referral_id") == referral_id
                        for p in system.verified(secret, f"kamkor.referral.referral.{verb}.v1")
                    )
                    for verb in ("accepted", "started", "completed")
                )

            await wait_until(told_of_every_step, timeout_s=30, interval_s=0.2)


@pytest.fixture(scope="module")
async def hasty_platform(
    make_database: Callable[[str], Awaitable[str]], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    """Five processes whose stat referrals must be answered within about seven seconds."""
    running = Platform(
        var_dir=tmp_path_factory.mktemp("hasty"),
        ports={name: free_port() for name in DEFAULT_PORTS},
        broker_port=free_port(),
        database_urls={name: await make_database(f"hasty_{name}") for name in SERVICES},
        extra_env={
            "KAMKOR_DATABASE_POOL_SIZE": "3",
            "KAMKOR_DATABASE_MAX_OVERFLOW": "3",
            "KAMKOR_RESPONSE_DUE_STAT_HOURS": "0.002",
            "KAMKOR_DEADLINE_CHECK_S": "0.5",
        },
    )
    try:
        await asyncio.to_thread(running.start)
    except BaseException:
        running.stop()
        for name in (*SERVICES, "gateway"):
            log = running.log_path(name)
            if log.exists():
                print(f"--- {name} log ---\n{log.read_text()[-3000:]}")
        raise
    yield running
    await asyncio.to_thread(running.stop)


class TestNobodyAnswers:
    async def test_a_stat_referral_moves_on_at_its_deadline_and_a_supervisor_assigns_it(
        self, hasty_platform: Platform
    ) -> None:
        async with httpx.AsyncClient(base_url=hasty_platform.gateway_url, timeout=15) as api:
            household_id = await screened_family(api, "Асанова")
            requested = await referral_for(api, household_id, "legal_aid", "requested")
            assert requested["priority"] == "stat"
            service_id = requested["partner"]["service_id"]

            unassigned = await referral_for(api, household_id, "legal_aid", "unassigned")
            assert unassigned["id"] == requested["id"]
            assert unassigned["attempts"][0]["outcome"] == "expired"
            assert unassigned["history"][-1]["status"] == "unassigned"

            queue = await api.get("/api/v1/referrals/supervision/unassigned", headers=SUPERVISOR)
            assert queue.status_code == 200, queue.text
            assert requested["id"] in {r["id"] for r in queue.json()["items"]}
            escalations = await api.get(
                "/api/v1/referrals/supervision/escalations", headers=SUPERVISOR
            )
            assert escalations.status_code == 200, escalations.text
            assert requested["id"] in escalations.text

            # Another region's supervisor neither sees nor assigns it.
            elsewhere = bearer("supervisor", region="KG-C")
            other_queue = await api.get(
                "/api/v1/referrals/supervision/unassigned", headers=elsewhere
            )
            assert requested["id"] not in other_queue.text
            refused = await api.post(
                f"/api/v1/referrals/{requested['id']}/assign",
                json={"service_id": service_id, "reason": "not mine"},
                headers=elsewhere,
            )
            assert refused.status_code == 404

            assigned = await api.post(
                f"/api/v1/referrals/{requested['id']}/assign",
                json={"service_id": service_id, "reason": "phoned the lawyer, she will call"},
                headers=SUPERVISOR,
            )
            assert assigned.status_code == 200, assigned.text
            body = assigned.json()
            assert body["status"] == "requested"
            assert body["partner"]["service_id"] == service_id
            assert body["history"][-1]["role"] == "supervisor"

            queue = await api.get("/api/v1/referrals/supervision/unassigned", headers=SUPERVISOR)
            assert requested["id"] not in {r["id"] for r in queue.json()["items"]}
            listed = await api.get(
                "/partner/v1/referrals", params={"status": "requested"}, headers=LEGAL_AID_PARTNER
            )
            assert requested["id"] in {r["id"] for r in listed.json()["items"]}
