"""Every route of every Kamkor app says who may call it (DESIGN §8).

A route is declared when its dependencies verify the caller's bearer token (the
dependency behind `kamkor_common.auth.CurrentPrincipal`, which `require_roles` builds on
too), or when its path and method are on the short public list below. Anything else — a
new route that forgot its principal, a mounted app, a public path answering another
method — fails here before it can ship.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette.responses import PlainTextResponse

from kamkor_common import auth
from kamkor_common.auth import CurrentPrincipal, Principal, require_roles

ROOT = Path(__file__).resolve().parents[1]

# Path -> the methods anyone may call there, and why.
PUBLIC: dict[str, frozenset[str]] = {
    # Probes of the kubelet and the load balancer, and the Prometheus scrape.
    "/livez": frozenset({"GET"}),
    "/readyz": frozenset({"GET"}),
    "/metrics": frozenset({"GET"}),
    # The API's own descriptions; they describe routes, never data.
    "/openapi.json": frozenset({"GET"}),
    "/asyncapi.json": frozenset({"GET"}),
    "/docs": frozenset({"GET"}),
    "/docs/oauth2-redirect": frozenset({"GET"}),
    "/redoc": frozenset({"GET"}),
    # Where a client gets a token: it has none yet.
    "/oauth/token": frozenset({"POST"}),
}
# The issuer's discovery document and keys (OpenID Connect Discovery, RFC 8615).
PUBLIC_PREFIXES: dict[str, frozenset[str]] = {"/.well-known/": frozenset({"GET"})}


def kamkor_apps() -> dict[str, Callable[[], FastAPI]]:
    """Every service found under services/, and the gateway, by their app factories."""
    packages = {
        path.name: f"kamkor_{path.name}.main"
        for path in sorted((ROOT / "services").iterdir())
        if (path / "pyproject.toml").exists()
    }
    packages["gateway"] = "kamkor_gateway.main"
    return {name: importlib.import_module(module).create_app for name, module in packages.items()}


def token_check() -> Callable[..., Any]:
    """The dependency that verifies the bearer token, as `CurrentPrincipal` declares it."""
    depends = get_args(CurrentPrincipal)[1]
    dependency: Callable[..., Any] = depends.dependency
    return dependency


def dependency_calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


def public_methods(path: str) -> frozenset[str]:
    if path in PUBLIC:
        return PUBLIC[path]
    for prefix, methods in PUBLIC_PREFIXES.items():
        if path.startswith(prefix):
            return methods
    return frozenset()


def undeclared_routes(app: FastAPI) -> list[str]:
    """`METHOD path` of each route that neither checks a token nor is public."""
    check = token_check()
    found: list[str] = []
    for route in iter_route_contexts(app.routes):
        path = route.path or repr(route.original_route)
        # HEAD comes with GET: it answers the same, without a body.
        methods = set(route.methods or {"*"}) - {"HEAD"} or {"HEAD"}
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is not None and check in set(dependency_calls(dependant)):
            continue
        found.extend(f"{method} {path}" for method in sorted(methods - public_methods(path)))
    return found


APPS = kamkor_apps()


class TestEveryRouteHasAPolicy:
    def test_finds_every_service_and_the_gateway(self):
        assert {"registry", "risk", "referral", "shelter", "gateway"} <= set(APPS)

    @pytest.mark.parametrize("name", sorted(APPS))
    def test_checks_the_token_or_is_public(self, name):
        app = APPS[name]()

        assert undeclared_routes(app) == []
        # Not vacuous: the app's API is there and was looked at.
        assert any(
            r.path.startswith(("/api/", "/partner/")) for r in iter_route_contexts(app.routes)
        )


class TestUndeclaredRoutes:
    def test_names_each_route_without_a_policy(self):
        app = FastAPI()
        nested = APIRouter(prefix="/api/v1/things")
        guarded = APIRouter(prefix="/api/v1/guarded", dependencies=[Depends(auth.get_principal)])

        @app.get("/api/v1/open")
        async def open_route() -> dict[str, str]:
            return {}

        @app.get("/api/v1/mine")
        async def mine(principal: CurrentPrincipal) -> dict[str, str]:
            return {}

        @app.post("/api/v1/boss", dependencies=[Depends(require_roles("admin"))])
        async def boss() -> dict[str, str]:
            return {}

        async def through_another(principal: CurrentPrincipal) -> Principal:
            return principal

        @app.delete("/api/v1/deep")
        async def deep(principal: Principal = Depends(through_another)) -> dict[str, str]:
            return {}

        @nested.put("/{thing_id}")
        async def nested_open(thing_id: str) -> dict[str, str]:
            return {}

        @guarded.get("/x")
        async def guarded_by_its_router() -> dict[str, str]:
            return {}

        @app.get("/livez")
        async def livez() -> dict[str, str]:
            return {}

        @app.post("/livez")
        async def not_a_probe() -> dict[str, str]:
            return {}

        async def plain(_: Any) -> PlainTextResponse:
            return PlainTextResponse("")

        app.include_router(nested)
        app.include_router(guarded)
        app.add_route("/api/v1/plain", plain, methods=["GET"])
        app.mount("/files", FastAPI())

        assert sorted(undeclared_routes(app)) == [
            "* /files",
            "GET /api/v1/open",
            "GET /api/v1/plain",
            "POST /livez",
            "PUT /api/v1/things/{thing_id}",
        ]
