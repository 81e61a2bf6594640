"""Problem answers: how they are rendered, and how the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from kamkor_common.auth import CurrentPrincipal, verifier_from_settings
from kamkor_common.errors import PROBLEM_JSON, install_error_handlers, unstorable_input
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import dev_token


class ThingCreate(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI()
    settings = KamkorSettings()
    app.state.token_verifier = verifier_from_settings(settings)
    install_error_handlers(app)

    @app.get("/api/v1/things/{thing_id}")
    async def get_thing(thing_id: str, principal: CurrentPrincipal) -> dict[str, str]:
        return {"id": thing_id}

    @app.post("/api/v1/things", status_code=201)
    async def create_thing(thing: ThingCreate, principal: CurrentPrincipal) -> dict[str, str]:
        return {"name": thing.name}

    @app.get("/api/v1/overflow")
    async def overflow() -> None:
        try:
            raise OverflowError("value out of int64 range")
        except OverflowError as exc:
            raise DBAPIError("SELECT 1", {}, exc) from exc

    @app.get("/api/v1/broken")
    async def broken() -> None:
        raise DBAPIError("SELECT 1", {}, RuntimeError("connection lost"))

    return app


def _responses(document: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


class TestDocumentedProblems:
    def test_every_problem_is_problem_json_and_no_http_validation_error_is_left(self) -> None:
        document = _app().openapi()
        created = _responses(document, "/api/v1/things", "post")
        read = _responses(document, "/api/v1/things/{thing_id}", "get")

        assert set(created) == {"201", "400", "401", "403", "404", "409", "422", "431", "500"}
        assert set(read) == {"200", "401", "403", "404", "422", "431", "500"}
        for status in ("401", "422", "500"):
            assert created[status]["content"] == {
                PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
        schemas = document["components"]["schemas"]
        assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
        assert set(schemas["Problem"]["required"]) == {"type", "title", "status", "detail", "code"}
        assert document["paths"]["/api/v1/things"]["post"]["security"] == [{"bearerAuth": []}]

    async def test_a_validation_error_matches_the_documented_problem(self) -> None:
        app = _app()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post(
                "/api/v1/things",
                json={"name": 5},
                headers={"Authorization": f"Bearer {dev_token('admin')}"},
            )
        body = response.json()
        assert response.status_code == 422
        assert response.headers["content-type"] == PROBLEM_JSON
        assert set(body) >= set(app.openapi()["components"]["schemas"]["Problem"]["required"])
        assert body["errors"][0]["field"] == "name"


class TestUnstorableInput:
    def test_values_the_database_cannot_take_are_the_callers(self) -> None:
        nul = asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence: 0x00")
        out_of_range = asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range")
        assert unstorable_input(DBAPIError("SELECT", {}, nul))
        assert unstorable_input(DBAPIError("SELECT", {}, out_of_range))
        assert unstorable_input(OverflowError("value out of int64 range"))
        assert not unstorable_input(DBAPIError("SELECT", {}, RuntimeError("connection lost")))

    async def test_is_a_422_while_other_database_errors_stay_500(self) -> None:
        transport = httpx.ASGITransport(app=_app(), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            overflow = await client.get("/api/v1/overflow")
            broken = await client.get("/api/v1/broken")
        assert (overflow.status_code, overflow.json()["code"]) == (422, "invalid_value")
        assert (broken.status_code, broken.json()["code"]) == (500, "internal_error")
