"""Idempotency-Key: a retried write gets the first answer, never a second record."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlmodel import SQLModel

from kamkor_common.auth import CurrentPrincipal, TokenVerifier
from kamkor_common.db import Database
from kamkor_common.errors import install_error_handlers
from kamkor_common.idempotency import IdempotencyMiddleware
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import dev_token


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[int]]]:
    """A tiny write API on SQLite: every handled POST appends a record."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/idempotency.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["idempotency_keys"]]
        )
    records: list[int] = []
    numbers = itertools.count(1)
    settings = KamkorSettings()
    app = FastAPI()
    app.state.database = database
    app.state.token_verifier = TokenVerifier(
        secret=settings.JWT_SECRET, issuer=settings.JWT_ISSUER, audience=settings.JWT_AUDIENCE
    )
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)

    @app.post("/records", status_code=201)
    async def create(request: Request, principal: CurrentPrincipal) -> dict[str, object]:
        body = await request.json()
        records.append(next(numbers))
        return {"id": records[-1], "name": body["name"]}

    @app.post("/broken")
    async def broken(principal: CurrentPrincipal) -> None:
        records.append(-1)
        raise RuntimeError("the database went away")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, records
    await database.dispose()


def _headers(key: str | None, subject: str = "aigul") -> dict[str, str]:
    token = dev_token("social_worker", region="KG-J", districts=["KG-J-06"], subject=subject)
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


class TestIdempotencyMiddleware:
    async def test_a_retry_gets_the_first_answer_and_makes_no_second_record(self, api) -> None:
        client, records = api
        first = await client.post("/records", json={"name": "a"}, headers=_headers("k-1"))
        again = await client.post("/records", json={"name": "a"}, headers=_headers("k-1"))
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() == {"id": 1, "name": "a"}
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        assert records == [1]

    async def test_the_same_key_for_another_request_is_refused(self, api) -> None:
        client, records = api
        await client.post("/records", json={"name": "a"}, headers=_headers("k-2"))
        other = await client.post("/records", json={"name": "b"}, headers=_headers("k-2"))
        assert other.status_code == 422
        assert other.json()["code"] == "idempotency_key_reused"
        assert other.headers["content-type"] == "application/problem+json"
        assert records == [1]

    async def test_keys_belong_to_their_user_and_writes_without_a_key_all_run(self, api) -> None:
        client, records = api
        await client.post("/records", json={"name": "a"}, headers=_headers("shared"))
        await client.post("/records", json={"name": "a"}, headers=_headers("shared", "bakyt"))
        await client.post("/records", json={"name": "a"}, headers=_headers(None))
        await client.post("/records", json={"name": "a"}, headers=_headers(None))
        assert records == [1, 2, 3, 4]

    async def test_a_failed_request_frees_its_key_for_the_retry(self, api) -> None:
        client, records = api
        first = await client.post("/broken", headers=_headers("k-3"))
        retry = await client.post("/broken", headers=_headers("k-3"))
        assert (first.status_code, retry.status_code) == (500, 500)
        assert records == [-1, -1]  # the retry ran again: nothing was answered the first time

    async def test_an_overlong_key_is_refused_and_no_token_is_left_to_the_route(self, api) -> None:
        client, records = api
        long_key = await client.post("/records", json={"name": "a"}, headers=_headers("x" * 201))
        assert long_key.json()["code"] == "idempotency_key_invalid"
        anonymous = await client.post(
            "/records", json={"name": "a"}, headers={"Idempotency-Key": "k-4"}
        )
        assert anonymous.status_code == 401
        assert records == []

    @pytest.mark.parametrize("key", ["k\x00y", "ключ-1", "k\x7f", "k\ty"])
    async def test_a_key_of_other_than_printable_ascii_is_refused(self, api, key) -> None:
        client, records = api
        token = _headers(None)["Authorization"]
        # Sent as raw bytes, as a client outside would: UTF-8 for the Cyrillic key.
        headers = [(b"authorization", token.encode()), (b"idempotency-key", key.encode())]
        response = await client.post("/records", json={"name": "a"}, headers=headers)
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_invalid"
        assert records == []
