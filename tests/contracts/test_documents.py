"""The OpenAPI documents the fuzzing relies on: served as built, and true about auth."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kamkor_common.errors import HTTP_METHODS, PROBLEM_JSON
from tests.contracts.conftest import DOCUMENTS, SERVICES, Platform
from tests.test_route_policies import public_methods


def _url(platform: Platform, name: str) -> str:
    return platform.gateway if name == "gateway" else platform.urls[name]


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if isinstance(operation := item.get(method), dict)
    ]


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_served_documents_are_the_ones_fuzzed(platform: Platform, name: str) -> None:
    response = httpx.get(f"{_url(platform, name)}/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.json() == DOCUMENTS[name]


@pytest.mark.parametrize("name", [*SERVICES, "gateway"])
def test_every_documented_operation_needs_a_token(platform: Platform, name: str) -> None:
    """What the documents say (`security`, 401) is what the services do; the public
    routes (the token endpoint, the issuer's keys) are the route policy test's list."""
    operations = [
        (method, path, operation)
        for method, path, operation in _operations(DOCUMENTS[name])
        if method.upper() not in public_methods(path)
    ]
    assert operations
    with httpx.Client(base_url=_url(platform, name), timeout=30) as client:
        for method, path, operation in operations:
            assert operation["security"] == [{"bearerAuth": []}], (method, path)
            assert PROBLEM_JSON in operation["responses"]["401"]["content"], (method, path)
            response = client.request(method, re.sub(r"\{[^}]+\}", "x", path))
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"] == PROBLEM_JSON
