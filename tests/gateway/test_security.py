from __future__ import annotations

import base64
import hashlib
import re

import pytest

from kamkor_gateway.security import API_CSP

APP = "https://app.kamkor.kg"
ELSEWHERE = "https://evil.example"
ECHO = "/api/v1/risk/echo"


def assert_security_headers(headers: dict[str, str] | object) -> None:
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["referrer-policy"] == "no-referrer"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path", "status"),
        [
            ("GET", "/livez", 200),
            ("GET", "/openapi.json", 200),
            ("GET", ECHO, 200),
            ("GET", "/api/v1/families/h-1", 200),
            ("GET", "/nowhere", 404),
            ("DELETE", "/livez", 405),
            ("GET", "/api/v1/risk/x/%2e%2e/y", 400),
        ],
    )
    async def test_on_every_answer(self, gateway, auth, method, path, status):
        response = await gateway.request(method, path, headers=auth)

        assert response.status_code == status
        assert_security_headers(response.headers)
        assert response.headers["content-security-policy"] == API_CSP
        assert "strict-transport-security" not in response.headers

    async def test_on_refusals_before_any_route(self, gateway):
        unauthenticated = await gateway.get(ECHO)
        oversized = await gateway.get(ECHO, headers={"x-junk": "x" * 40_000})

        assert unauthenticated.status_code == 401
        assert oversized.status_code == 431
        for response in (unauthenticated, oversized):
            assert_security_headers(response.headers)
            assert response.headers["cache-control"] == "no-store"

    async def test_on_a_rate_limit_refusal(self, start_gateway, auth):
        async with start_gateway(RATE_LIMIT_STAFF="1/minute") as gateway:
            await gateway.get(ECHO, headers=auth)
            refused = await gateway.get(ECHO, headers=auth)

        assert refused.status_code == 429
        assert_security_headers(refused.headers)

    async def test_hsts_when_callers_come_over_https(self, start_gateway):
        async with start_gateway(HTTPS=True, HSTS_MAX_AGE_S=600) as gateway:
            response = await gateway.get("/livez")

        assert response.headers["strict-transport-security"] == "max-age=600; includeSubDomains"

    @pytest.mark.parametrize("path", [ECHO, "/api/v1/families/h-1", "/partner/v1/referrals"])
    async def test_no_store_on_the_api_whatever_the_service_said(self, gateway, auth, path):
        # The echoing fake says `cache-control: max-age=3600` on every answer.
        response = await gateway.get(path, headers=auth)

        assert response.status_code == 200
        assert response.headers.get_list("cache-control") == ["no-store"]

    async def test_probes_and_documents_may_be_cached(self, gateway):
        response = await gateway.get("/asyncapi.json")

        assert "cache-control" not in response.headers


class TestDocsPolicy:
    async def test_the_docs_page_may_run_only_its_own_scripts(self, gateway):
        response = await gateway.get("/docs")

        policy = response.headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        inline = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
        assert len(inline) == 1
        assert f"'sha256-{digest}'" in directives["script-src"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert directives["default-src"] == "'none'"
        assert directives["connect-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        # Every script and stylesheet the page loads is from an allowed source.
        for url in re.findall(r'(?:src|href)="(https://[^"]+)"', response.text):
            host = "/".join(url.split("/")[:3])
            assert any(host in directives[d] for d in ("script-src", "style-src", "img-src"))
        assert_security_headers(response.headers)


class TestCors:
    async def test_no_origin_is_allowed_by_default(self, gateway, auth):
        simple = await gateway.get(ECHO, headers={**auth, "Origin": APP})
        preflight = await gateway.options(
            ECHO, headers={"Origin": APP, "Access-Control-Request-Method": "GET"}
        )

        assert simple.status_code == 200
        assert not [h for h in simple.headers if h.startswith("access-control-")]
        assert "access-control-allow-origin" not in preflight.headers

    async def test_an_allowlisted_origin_gets_the_answer_and_credentials(self, start_gateway, auth):
        async with start_gateway(CORS_ORIGINS=[APP]) as gateway:
            preflight = await gateway.options(
                ECHO,
                headers={
                    "Origin": APP,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization, idempotency-key",
                },
            )
            simple = await gateway.get(ECHO, headers={**auth, "Origin": APP})

        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == APP
        assert preflight.headers["access-control-allow-credentials"] == "true"
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert simple.headers["access-control-allow-origin"] == APP
        assert simple.headers["access-control-allow-credentials"] == "true"
        # A browser script may read the rate limit and the version of what it got.
        exposed = simple.headers["access-control-expose-headers"].lower()
        assert "retry-after" in exposed and "ratelimit-remaining" in exposed and "etag" in exposed
        assert "origin" in simple.headers["vary"].lower()

    async def test_another_origin_gets_no_grant_at_all(self, start_gateway, auth):
        async with start_gateway(CORS_ORIGINS=[APP]) as gateway:
            preflight = await gateway.options(
                ECHO, headers={"Origin": ELSEWHERE, "Access-Control-Request-Method": "GET"}
            )
            simple = await gateway.get(ECHO, headers={**auth, "Origin": ELSEWHERE})

        assert preflight.status_code == 400
        for response in (preflight, simple):
            assert "access-control-allow-origin" not in response.headers
            assert "access-control-allow-credentials" not in response.headers
            assert "access-control-expose-headers" not in response.headers
        assert simple.status_code == 200

    async def test_a_rate_limit_refusal_is_readable_by_an_allowlisted_page(
        self, start_gateway, auth
    ):
        async with start_gateway(CORS_ORIGINS=[APP], RATE_LIMIT_STAFF="1/minute") as gateway:
            await gateway.get(ECHO, headers={**auth, "Origin": APP})
            refused = await gateway.get(ECHO, headers={**auth, "Origin": APP})

        assert refused.status_code == 429
        assert refused.headers["access-control-allow-origin"] == APP
