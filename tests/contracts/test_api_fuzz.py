"""Schemathesis over every service's OpenAPI document and the gateway's merged one.

Each operation gets generated requests, valid and invalid, from each role; every answer
must be no server error, a documented status with a documented media type, and a body
that matches the documented schema (the problem+json errors included).
"""

from __future__ import annotations

import hypothesis
import schemathesis
from hypothesis import HealthCheck, strategies
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contracts.conftest import DOCUMENTS, TOKENS, Platform, load_schema

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

SETTINGS = hypothesis.settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

roles = strategies.sampled_from(sorted(TOKENS))


registry = load_schema(DOCUMENTS["registry"])
risk = load_schema(DOCUMENTS["risk"])
referral = load_schema(DOCUMENTS["referral"])
shelter = load_schema(DOCUMENTS["shelter"])
gateway = load_schema(DOCUMENTS["gateway"])


def call(case: schemathesis.Case, base_url: str, role: str) -> None:
    case.call_and_validate(
        base_url=base_url,
        headers={"Authorization": f"Bearer {TOKENS[role]}"},
        checks=CHECKS,
        timeout=30,
    )


@registry.parametrize()
@registry.given(role=roles)
@SETTINGS
def test_registry(case: schemathesis.Case, role: str, platform: Platform) -> None:
    call(case, platform.urls["registry"], role)


@risk.parametrize()
@risk.given(role=roles)
@SETTINGS
def test_risk(case: schemathesis.Case, role: str, platform: Platform) -> None:
    call(case, platform.urls["risk"], role)


@referral.parametrize()
@referral.given(role=roles)
@SETTINGS
def test_referral(case: schemathesis.Case, role: str, platform: Platform) -> None:
    call(case, platform.urls["referral"], role)


@shelter.parametrize()
@shelter.given(role=roles)
@SETTINGS
def test_shelter(case: schemathesis.Case, role: str, platform: Platform) -> None:
    call(case, platform.urls["shelter"], role)


@gateway.parametrize()
@gateway.given(role=roles)
@SETTINGS
def test_gateway(case: schemathesis.Case, role: str, platform: Platform) -> None:
    call(case, platform.gateway, role)
