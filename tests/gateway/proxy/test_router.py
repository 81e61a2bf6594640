from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator

import pytest

from kamkor_common.testing import dev_token
from tests.gateway.conftest import send_raw

PROBLEM_JSON = "application/problem+json"


class TestProxyRouter:
    @pytest.mark.parametrize(
        ("path", "service"),
        [
            ("/api/v1/registry/households", "registry"),
            ("/api/v1/risk/screenings", "risk"),
            ("/api/v1/referrals", "referral"),
            ("/api/v1/referrals/r-1/cancel", "referral"),
            ("/api/v1/partners/org-1", "referral"),
            ("/api/v1/shelters", "shelter"),
            ("/api/v1/shelters/s-1/holds", "shelter"),
            ("/partner/v1/referrals/r-1/accept", "referral"),
        ],
    )
    async def test_routes_each_prefix_to_its_service(self, gateway, auth, path, service):
        response = await gateway.post(path, headers=auth, json={})

        assert response.status_code == 200, response.text
        assert response.json()["service"] == service
        assert response.json()["path"] == path

    async def test_preserves_method_path_query_body_and_headers(self, gateway, auth):
        body = json.dumps({"reason": "no beds", "note": "Жалал-Абад"}).encode()
        headers = {
            "authorization": auth["Authorization"],
            "content-type": "application/json",
            "accept": "application/json",
            "accept-language": "ky",
            "idempotency-key": "k-123",
            "if-match": '"3"',
            "x-purpose": "home visit 2026-H2",
            "x-secret-internal": "must not pass",
        }

        response = await gateway.patch(
            "/api/v1/shelters/s%2F1/beds?category=family&category=child&q=a%20b",
            content=body,
            headers=headers,
        )

        seen = response.json()
        assert response.status_code == 200
        assert seen["method"] == "PATCH"
        assert seen["raw_path"] == "/api/v1/shelters/s%2F1/beds"
        assert seen["query"] == "category=family&category=child&q=a%20b"
        assert seen["body"].encode() == body
        for name in (
            "authorization",
            "content-type",
            "accept-language",
            "idempotency-key",
            "x-purpose",
        ):
            assert seen["headers"][name] == headers[name]
        assert seen["headers"]["if-match"] == '"3"'
        assert "x-secret-internal" not in seen["headers"]
        # The in-process client's address.
        assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"

    async def test_sends_only_the_client_address_as_forwarded_for(self, gateway, auth):
        headers = {**auth, "x-forwarded-for": "203.0.113.7, 10.0.0.1"}

        response = await gateway.get("/api/v1/risk/anything", headers=headers)

        assert response.json()["headers"]["x-forwarded-for"] == "127.0.0.1"

    async def test_sends_the_address_uvicorn_settled_on(self, served_gateway, auth):
        # uvicorn trusts proxies on 127.0.0.1 by default (--forwarded-allow-ips): it takes
        # the caller from their header, and the gateway passes on that one address.
        headers = {**auth, "x-forwarded-for": "203.0.113.7, 127.0.0.1"}

        status, _, seen = await send_raw(served_gateway, "GET", "/api/v1/risk/anything", headers)

        assert status == 200
        assert seen["headers"]["x-forwarded-for"] == "203.0.113.7"

    async def test_passes_back_status_problem_body_and_headers(self, gateway, auth, fakes):
        response = await gateway.post(
            "/partner/v1/referrals/r-9/reject?echo_status=409", headers=auth, json={}
        )

        assert response.status_code == 409
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "echo_problem"
        assert response.json()["detail"] == "referral says no"
        assert response.headers["etag"] == '"7"'
        # The service's own address is replaced by the path the caller can use.
        assert response.headers["location"] == "/partner/v1/referrals/r-9/reject/created"
        assert "x-internal" not in response.headers

    async def test_passes_back_success_status(self, gateway, auth):
        response = await gateway.post("/api/v1/registry/households?echo_status=201", headers=auth)

        assert response.status_code == 201
        assert response.headers["etag"] == '"7"'
        assert response.headers["idempotent-replayed"] == "true"

    async def test_head_and_delete_reach_the_service(self, gateway, auth, fakes):
        head = await gateway.head("/api/v1/shelters/s-head", headers=auth)
        delete = await gateway.delete("/api/v1/shelters/s-delete", headers=auth)

        assert head.status_code == 200
        assert delete.json()["method"] == "DELETE"
        methods = {(r.get("method"), r.get("path")) for r in fakes["shelter"].received}
        assert ("HEAD", "/api/v1/shelters/s-head") in methods

    async def test_missing_token_is_401_and_never_reaches_the_service(self, gateway, fakes):
        before = len(fakes["registry"].received)

        response = await gateway.get("/api/v1/registry/regions")

        assert response.status_code == 401
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "unauthorized"
        assert response.headers["www-authenticate"] == "Bearer"
        assert len(fakes["registry"].received) == before

    @pytest.mark.parametrize(
        ("authorization", "code"),
        [
            ("Bearer not-a-jwt", "invalid_token"),
            ("Basic dXNlcjpwYXNz", "unauthorized"),
            ("Bearer " + dev_token("admin")[:-4] + "AAAA", "invalid_token"),
        ],
    )
    async def test_invalid_token_is_401(self, gateway, authorization, code):
        response = await gateway.get("/api/v1/risk/flags", headers={"Authorization": authorization})

        assert response.status_code == 401
        assert response.json()["code"] == code

    async def test_token_of_another_issuer_is_401(self, gateway):
        from kamkor_common.issuer import EmbeddedIssuer, generate_key_pem

        foreign = EmbeddedIssuer(
            private_key_pem=generate_key_pem(), issuer="https://evil", audience="kamkor"
        )
        token = foreign.issue(subject="mallory", role="admin")

        response = await gateway.get(
            "/api/v1/shelters", headers={"Authorization": f"Bearer {token}"}
        )

        assert response.status_code == 401

    async def test_service_down_is_503_naming_it(self, degraded_gateway, auth):
        response = await degraded_gateway.get("/api/v1/referrals?household_id=h", headers=auth)

        assert response.status_code == 503
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "upstream_unavailable"
        assert response.json()["service"] == "referral"

    async def test_slow_service_is_504(self, degraded_gateway, auth):
        response = await degraded_gateway.get("/api/v1/shelters?echo_sleep=4", headers=auth)

        assert response.status_code == 504
        assert response.json()["code"] == "upstream_timeout"
        assert response.json()["service"] == "shelter"

    async def test_continues_the_callers_trace(self, gateway, auth):
        trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
        headers = {**auth, "traceparent": f"00-{trace_id}-{caller_span}-01"}

        response = await gateway.get("/api/v1/risk/anything", headers=headers)

        _, upstream_trace, parent_span, flags = response.json()["headers"]["traceparent"].split("-")
        assert upstream_trace == trace_id
        # A span of the gateway's own sits between the caller and the service.
        assert parent_span != caller_span
        assert flags == "01"

    async def test_body_up_to_the_limit_passes(self, small_body_gateway, auth):
        body = b"x" * 1024

        response = await small_body_gateway.post("/api/v1/shelters", content=body, headers=auth)

        assert response.status_code == 200
        assert response.json()["body"].encode() == body

    async def test_declared_large_body_is_413_and_never_reaches_the_service(
        self, small_body_gateway, auth, fakes
    ):
        before = len(fakes["shelter"].received)

        response = await small_body_gateway.post(
            "/api/v1/shelters", content=b"x" * 1025, headers=auth
        )

        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "body_too_large"
        assert len(fakes["shelter"].received) == before

    async def test_large_body_without_length_is_counted_and_refused(
        self, small_body_gateway, auth, fakes
    ):
        before = len(fakes["shelter"].received)

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(4):
                yield b"x" * 300

        request = small_body_gateway.build_request(
            "PUT", "/api/v1/shelters/s-1", content=chunks(), headers=auth
        )
        assert "content-length" not in request.headers
        response = await small_body_gateway.send(request)

        assert response.status_code == 413
        assert response.json()["code"] == "body_too_large"
        assert len(fakes["shelter"].received) == before

    async def test_unknown_path_is_404_problem(self, gateway, auth):
        response = await gateway.get("/api/v2/registry/regions", headers=auth)

        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON


class TestProxyRouterHeaders:
    """Headers from outside: any bytes, any size; the answer is never a 500."""

    async def test_a_non_ascii_accept_language_reaches_the_service_unchanged(
        self, served_gateway, auth
    ):
        status, _, seen = await send_raw(
            served_gateway,
            "GET",
            "/api/v1/registry/echo",
            {"Authorization": auth["Authorization"], "Accept-Language": "кыргызча, ru;q=0.8"},
        )

        assert status == 200
        # The fake decodes header bytes as Latin-1, as every ASGI server does.
        received = seen["headers"]["accept-language"].encode("latin-1").decode()
        assert received == "кыргызча, ru;q=0.8"

    async def test_whitespace_around_a_value_is_not_forwarded(self, gateway, auth, fakes):
        # As bytes: a value with trailing whitespace, which the HTTP client would not send on.
        headers = [
            (b"authorization", auth["Authorization"].encode()),
            (b"x-purpose", b'home visit "2026-H2" \t'),
        ]

        response = await gateway.get("/api/v1/registry/echo", headers=headers)

        assert response.status_code == 200
        assert response.json()["headers"]["x-purpose"] == 'home visit "2026-H2"'

    @pytest.mark.parametrize("key", ["ключ-1", "k\x01y", "x" * 201, " "])
    async def test_a_malformed_idempotency_key_on_a_write_is_400(self, gateway, auth, fakes, key):
        before = len(fakes["registry"].received)
        # As bytes: a UTF-8 key as a client would send it, and values h11 would not send.
        headers = [
            (b"authorization", auth["Authorization"].encode()),
            (b"idempotency-key", key.encode()),
        ]

        response = await gateway.post("/api/v1/registry/households", headers=headers)

        assert response.status_code == 400
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "idempotency_key_invalid"
        assert len(fakes["registry"].received) == before

    async def test_a_well_formed_idempotency_key_is_passed_on(self, gateway, auth):
        response = await gateway.post(
            "/api/v1/registry/households", headers={**auth, "Idempotency-Key": " k-77 "}
        )

        assert response.json()["headers"]["idempotency-key"] == "k-77"

    async def test_an_authorization_header_over_8_kib_is_431(self, gateway, fakes):
        before = len(fakes["risk"].received)

        response = await gateway.get(
            "/api/v1/risk/flags", headers={"Authorization": "Bearer " + "x" * 9000}
        )

        assert response.status_code == 431
        assert response.json()["code"] == "header_too_large"
        assert len(fakes["risk"].received) == before

    async def test_request_headers_over_32_kib_in_all_are_431(self, gateway, auth):
        many = {f"X-Filler-{i}": "y" * 1000 for i in range(40)}

        response = await gateway.get("/api/v1/risk/flags", headers={**auth, **many})

        assert response.status_code == 431
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["code"] == "header_too_large"

    async def test_a_token_claim_of_the_wrong_type_is_401_invalid_token(self, gateway):
        from tests.common.test_auth import signed

        response = await gateway.get(
            "/api/v1/risk/flags", headers={"Authorization": f"Bearer {signed(org=['a', 'b'])}"}
        )

        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"

    async def test_a_5_mb_token_over_real_http_is_refused(self, served_gateway, fakes):
        before = len(fakes["risk"].received)

        status, headers, body = await send_raw(
            served_gateway,
            "GET",
            "/api/v1/risk/flags",
            {"Authorization": "Bearer " + "x" * (5 * 1024 * 1024)},
        )

        assert status == 431
        assert headers["content-type"] == PROBLEM_JSON
        assert body["code"] == "header_too_large"
        assert len(fakes["risk"].received) == before
