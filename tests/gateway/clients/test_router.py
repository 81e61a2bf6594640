"""API clients: admins create, list, rotate and revoke; clients get tokens (RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import jwt
import pytest

from kamkor_common.testing import dev_token

ORG = "0b6f3c1e-6a51-4c55-9a0e-000000000002"
ADMIN = {"Authorization": f"Bearer {dev_token('admin', subject='root')}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def create(api: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/clients",
        json={"name": "Legal aid CRM", "organization_id": ORG} | body,
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def grant(
    api: httpx.AsyncClient, client_id: str, secret: str, *, basic: bool = False
) -> httpx.Response:
    if basic:
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return await api.post(
            "/oauth/token",
            content="grant_type=client_credentials",
            headers=FORM | {"Authorization": f"Basic {raw}"},
        )
    return await api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


class TestAdminRoutes:
    async def test_create_answers_the_secret_once(self, clients_gateway):
        created = await create(clients_gateway)
        assert created["client_secret"] and created["role"] == "partner"
        assert created["status"] == "active" and created["created_by"] == "root"

        read = await clients_gateway.get(f"/api/v1/clients/{created['id']}", headers=ADMIN)
        assert read.status_code == 200
        assert "client_secret" not in read.json()
        listed = await clients_gateway.get(
            "/api/v1/clients", params={"organization_id": ORG}, headers=ADMIN
        )
        assert created["id"] in [c["id"] for c in listed.json()["items"]]
        assert all("client_secret" not in c for c in listed.json()["items"])
        assert listed.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize("role", ["partner", "supervisor", "auditor", "service"])
    async def test_needs_the_admin_role(self, clients_gateway, role):
        other = {"Authorization": f"Bearer {dev_token(role, organization_id=ORG, region='KG-J')}"}
        created = await create(clients_gateway)
        for method, path in [
            ("POST", "/api/v1/clients"),
            ("GET", "/api/v1/clients"),
            ("GET", f"/api/v1/clients/{created['id']}"),
            ("POST", f"/api/v1/clients/{created['id']}/rotate"),
            ("POST", f"/api/v1/clients/{created['id']}/revoke"),
        ]:
            response = await clients_gateway.request(method, path, headers=other, json={})
            assert response.status_code == 403, (method, path, response.text)
        unauthenticated = await clients_gateway.get("/api/v1/clients")
        assert unauthenticated.status_code == 401

    async def test_a_partner_client_needs_an_organisation(self, clients_gateway):
        response = await clients_gateway.post("/api/v1/clients", json={"name": "x"}, headers=ADMIN)
        assert response.status_code == 422

    async def test_unknown_client(self, clients_gateway):
        response = await clients_gateway.post(
            f"/api/v1/clients/{uuid.uuid4()}/rotate", headers=ADMIN
        )
        assert response.status_code == 404
        assert response.json()["code"] == "client_not_found"


class TestClientCredentials:
    async def test_a_token_for_the_partner_organisation(self, clients_gateway):
        created = await create(clients_gateway)
        for basic in (False, True):
            response = await grant(
                clients_gateway, created["id"], created["client_secret"], basic=basic
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["token_type"] == "Bearer" and body["expires_in"] == 600
            assert response.headers["cache-control"] == "no-store"
            claims = jwt.decode(body["access_token"], options={"verify_signature": False})
            assert claims["sub"] == created["id"] and claims["role"] == "partner"
            assert claims["org"] == ORG and claims["exp"] - claims["iat"] == 600

    async def test_the_token_is_accepted_by_the_gateway(self, clients_gateway):
        created = await create(clients_gateway)
        issued = (await grant(clients_gateway, created["id"], created["client_secret"])).json()
        response = await clients_gateway.get(
            "/partner/v1/referrals",
            headers={"Authorization": f"Bearer {issued['access_token']}"},
        )
        assert response.status_code == 200
        assert response.json()["headers"]["authorization"].endswith(issued["access_token"])

    @pytest.mark.parametrize("secret", ["wrong", "", "x" * 300])
    async def test_a_wrong_secret_is_invalid_client(self, clients_gateway, secret):
        created = await create(clients_gateway)
        response = await grant(clients_gateway, created["id"], secret)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic")

    async def test_an_unknown_client_is_invalid_client(self, clients_gateway):
        response = await grant(clients_gateway, str(uuid.uuid4()), "whatever")
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "client authentication failed",
        }

    async def test_other_grants_are_unsupported(self, clients_gateway):
        response = await clients_gateway.post(
            "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"}
        )
        assert response.status_code == 400
        assert response.json()["error"] == "unsupported_grant_type"

    @pytest.mark.parametrize(
        ("content", "headers"),
        [
            ('{"grant_type": "client_credentials"}', {"Content-Type": "application/json"}),
            ("client_id=a&client_secret=b", FORM),
            ("grant_type=client_credentials&grant_type=client_credentials", FORM),
        ],
    )
    async def test_malformed_requests_are_invalid_request(self, clients_gateway, content, headers):
        response = await clients_gateway.post("/oauth/token", content=content, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_a_revoked_client_gets_no_token(self, clients_gateway):
        created = await create(clients_gateway)
        revoked = await clients_gateway.post(
            f"/api/v1/clients/{created['id']}/revoke", headers=ADMIN
        )
        assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
        response = await grant(clients_gateway, created["id"], created["client_secret"])
        assert response.status_code == 401
        again = await clients_gateway.post(f"/api/v1/clients/{created['id']}/rotate", headers=ADMIN)
        assert again.status_code == 409

    async def test_rotation_stops_the_old_secret(self, clients_gateway):
        created = await create(clients_gateway)
        rotated = await clients_gateway.post(
            f"/api/v1/clients/{created['id']}/rotate", headers=ADMIN
        )
        assert rotated.status_code == 200
        new_secret = rotated.json()["client_secret"]
        assert new_secret != created["client_secret"]
        old = await grant(clients_gateway, created["id"], created["client_secret"])
        assert old.status_code == 401
        assert (await grant(clients_gateway, created["id"], new_secret)).status_code == 200

    async def test_rotation_with_a_grace_period(self, clients_gateway):
        created = await create(clients_gateway)
        rotated = await clients_gateway.post(
            f"/api/v1/clients/{created['id']}/rotate", json={"grace_s": 3600}, headers=ADMIN
        )
        assert rotated.json()["previous_expires_at"] is not None
        old = await grant(clients_gateway, created["id"], created["client_secret"])
        new = await grant(clients_gateway, created["id"], rotated.json()["client_secret"])
        assert old.status_code == 200 and new.status_code == 200
