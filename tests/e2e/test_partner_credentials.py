"""A partner system on its own credentials: client credentials, the partner API, rotation.

An admin creates an API client for the legal-aid organisation; the partner's system gets
a token from `POST /oauth/token` over HTTP (HTTP Basic, as OAuth libraries send it),
lists the referrals addressed to it and accepts the one for a family screened in Suzak.
After the runbook's rotation (`kamkor clients rotate`), the old secret gets
`401 invalid_client` and the new one works.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import uuid
from typing import Any

import httpx

from kamkor_common.reference.partners import LEGAL_AID
from kamkor_common.testing import dev_token, wait_until
from kamkor_gateway import cli
from kamkor_gateway.devrun import Platform
from tests.e2e.test_referral_loop import WORKER, referral_for, screened_family

ADMIN = {"Authorization": f"Bearer {dev_token('admin', subject='ops-admin')}"}


async def client_credentials(api: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await api.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


def kamkor(*args: str) -> str:
    """Run the `kamkor` command in this process and return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(list(args)) == 0
    return out.getvalue()


class TestPartnerCredentials:
    async def test_a_partner_system_gets_a_token_and_works_the_partner_api(
        self, platform: Platform
    ) -> None:
        async with httpx.AsyncClient(base_url=platform.gateway_url, timeout=15) as api:
            created = await api.post(
                "/api/v1/clients",
                json={"name": "Legal aid case system", "organization_id": LEGAL_AID},
                headers=ADMIN,
            )
            assert created.status_code == 201, created.text
            client_id, secret = created.json()["id"], created.json()["client_secret"]

            household_id = await screened_family(api, "Жумабекова")
            referral = await referral_for(api, household_id, "legal_aid", "requested")

            issued = await client_credentials(api, client_id, secret)
            assert issued.status_code == 200, issued.text
            assert issued.json()["expires_in"] == 600
            partner = {"Authorization": f"Bearer {issued.json()['access_token']}"}

            listed: list[dict[str, Any]] = []

            async def listed_ours() -> bool:
                page = await api.get(
                    "/partner/v1/referrals", params={"status": "requested"}, headers=partner
                )
                assert page.status_code == 200, page.text
                listed[:] = page.json()["items"]
                return referral["id"] in [r["id"] for r in listed]

            await wait_until(listed_ours, timeout_s=30, interval_s=0.25)
            assert "Жумабекова" not in str(listed)
            accepted = await api.post(
                f"/partner/v1/referrals/{referral['id']}/accept",
                headers={**partner, "Idempotency-Key": str(uuid.uuid4())},
            )
            assert accepted.status_code == 200, accepted.text
            assert accepted.json()["status"] == "accepted"
            seen = await api.get(f"/api/v1/referrals/{referral['id']}", headers=WORKER)
            assert seen.json()["status"] == "accepted"

            # The runbook's step: rotate the partner's secret with the command.
            printed = await asyncio.to_thread(
                kamkor,
                "clients",
                "--gateway",
                platform.gateway_url,
                "--token",
                ADMIN["Authorization"].split()[1],
                "rotate",
                client_id,
            )
            new_secret = printed.split("client_secret: ", 1)[1].strip()
            assert new_secret and new_secret != secret

            refused = await client_credentials(api, client_id, secret)
            assert refused.status_code == 401
            assert refused.json()["error"] == "invalid_client"
            renewed = await client_credentials(api, client_id, new_secret)
            assert renewed.status_code == 200, renewed.text
            again = await api.get(
                f"/partner/v1/referrals/{referral['id']}",
                headers={"Authorization": f"Bearer {renewed.json()['access_token']}"},
            )
            assert again.status_code == 200 and again.json()["status"] == "accepted"

            listing = await asyncio.to_thread(
                kamkor,
                "clients",
                "--gateway",
                platform.gateway_url,
                "--token",
                ADMIN["Authorization"].split()[1],
                "list",
                "--org",
                LEGAL_AID,
            )
            assert client_id in listing
