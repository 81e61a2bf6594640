"""Values schemathesis does not send: NUL, broken encodings and huge numbers everywhere.

Schemathesis keeps NUL out of paths and queries; these go into every path and query
parameter of every documented operation, at each service and through the gateway.
Whatever comes back must be a documented problem, never a server error.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kamkor_common.errors import HTTP_METHODS, PROBLEM_JSON
from tests.contracts.conftest import DOCUMENTS, SERVICES, TOKENS, Platform

# Already percent-encoded, as they go on the wire.
HOSTILE = [
    "a%00b",
    "%ED%A0%80%FF",  # a lone surrogate and a stray byte: invalid UTF-8
    str(2**64),
    "x" * 5000,
]
# Through the gateway the services are the same: the values that test its own handling.
GATEWAY_HOSTILE = ["a%00b", "%ED%A0%80%FF"]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    return [
        (method, path, operation.get("parameters", []))
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if isinstance(operation := item.get(method), dict)
    ]


def _targets(document: dict[str, Any], values: list[str]) -> list[tuple[str, str]]:
    """(method, target) pairs: each hostile value in each parameter, the rest left plain."""
    targets = []
    for method, path, parameters in _operations(document):
        for value in values:
            for parameter in parameters:
                name = parameter["name"]
                if parameter["in"] == "path":
                    target = path.replace("{" + name + "}", value)
                elif parameter["in"] == "query":
                    target = f"{path}?{name}={value}"
                else:
                    continue
                targets.append((method, re.sub(r"\{[^}]+\}", "x", target)))
    return targets


def _role(target: str) -> str:
    """A role that gets past each route's role check, so the value reaches the service."""
    return "partner" if target.startswith("/partner/") else "admin"


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_hostile_path_and_query_values_are_problems_not_server_errors(
    platform: Platform, name: str
) -> None:
    url = platform.gateway if name == "gateway" else platform.urls[name]
    targets = _targets(DOCUMENTS[name], GATEWAY_HOSTILE if name == "gateway" else HOSTILE)
    assert targets
    failures = []
    with httpx.Client(base_url=url, timeout=30) as client:
        for method, target in targets:
            for role in ("admin", "social_worker", "partner"):
                headers = {"Authorization": f"Bearer {TOKENS[role]}"}
                body = b"{}" if method in ("post", "put", "patch") else None
                response = client.request(method, target, headers=headers, content=body)
                if response.status_code >= 500 or (
                    response.status_code >= 400 and response.headers["content-type"] != PROBLEM_JSON
                ):
                    failures.append((method, target[:120], role, response.status_code))
    assert failures == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Accept-Language", "кыргызча".encode()),
        ("Accept-Language", b"\xff\xfe"),
        ("Idempotency-Key", "ключ".encode()),
        ("Idempotency-Key", b"\x80\x81"),
        ("If-Match", "«7»".encode()),
        ("Authorization", "Bearer токен".encode()),
    ],
)
def test_non_ascii_header_bytes_at_the_gateway_are_never_a_server_error(
    platform: Platform, header: str, value: bytes
) -> None:
    headers = [(b"authorization", f"Bearer {TOKENS['admin']}".encode())]
    headers = [h for h in headers if h[0] != header.lower().encode()]
    headers.append((header.lower().encode(), value))
    with httpx.Client(base_url=platform.gateway, timeout=30) as client:
        for method, path in (
            ("GET", "/api/v1/registry/regions"),
            ("POST", "/api/v1/registry/households"),
        ):
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code < 500, (method, path, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"] == PROBLEM_JSON
