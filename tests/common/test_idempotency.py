"""Idempotency-Key: a retried write gets the first answer, never a second record."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request
from sqlalchemy import text
from sqlmodel import SQLModel

from kamkor_common.auth import CurrentPrincipal, verifier_from_settings
from kamkor_common.db import Database, SessionDep
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
    app.state.token_verifier = verifier_from_settings(settings)
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


OLD = "2000-01-01 00:00:00.000000"


@pytest.fixture
async def notes(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Database]]:
    """A write API whose route commits a note in its own transaction, as services do."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/notes.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(
            SQLModel.metadata.create_all, tables=[SQLModel.metadata.tables["idempotency_keys"]]
        )
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, name TEXT)"))
    settings = KamkorSettings()
    app = FastAPI()
    app.state.database = database
    app.state.settings = settings
    app.state.token_verifier = verifier_from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)

    @app.post("/notes", status_code=201)
    async def create(request: Request, principal: CurrentPrincipal, session: SessionDep) -> dict:
        body = await request.json()
        await session.execute(text("INSERT INTO notes (name) VALUES (:n)"), {"n": body["name"]})
        if body.get("taken_over"):
            # What a retry does once the lease has run out: the claim is no longer ours.
            await session.execute(text("UPDATE idempotency_keys SET created_at = :t"), {"t": OLD})
        if body.get("die_after_commit"):
            await session.commit()
            raise RuntimeError("the process died after its commit, before its answer")
        return {"name": body["name"]}

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client, database
    await database.dispose()


async def _count(database: Database, sql: str) -> int:
    async with database.engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


class TestIdempotencyAfterACrash:
    async def test_a_claim_abandoned_by_a_dead_request_is_taken_over_after_its_lease(
        self, notes
    ) -> None:
        client, database = notes
        body = b'{"name": "a"}'
        fingerprint = hashlib.sha256(b"\n".join([b"POST", b"/notes", b"", body])).hexdigest()
        async with database.engine.begin() as conn:
            # The claim of a request whose process died before it committed anything.
            await conn.execute(
                text(
                    "INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) "
                    "VALUES ('social_worker:aigul', 'k-dead', :f, :t)"
                ),
                {"f": fingerprint, "t": OLD},
            )
        retry = await client.post(
            "/notes",
            content=body,
            headers={**_headers("k-dead"), "content-type": "application/json"},
        )
        assert retry.status_code == 201, retry.text
        again = await client.post(
            "/notes",
            content=body,
            headers={**_headers("k-dead"), "content-type": "application/json"},
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert await _count(database, "SELECT count(*) FROM notes") == 1

    async def test_a_request_that_committed_but_lost_its_answer_never_runs_twice(
        self, notes
    ) -> None:
        client, database = notes
        first = await client.post(
            "/notes", json={"name": "a", "die_after_commit": True}, headers=_headers("k-lost")
        )
        assert first.status_code == 500
        soon = await client.post(
            "/notes", json={"name": "a", "die_after_commit": True}, headers=_headers("k-lost")
        )
        assert soon.json()["code"] == "idempotency_in_progress"
        async with database.engine.begin() as conn:
            await conn.execute(text("UPDATE idempotency_keys SET created_at = :t"), {"t": OLD})
        late = await client.post(
            "/notes", json={"name": "a", "die_after_commit": True}, headers=_headers("k-lost")
        )
        assert late.status_code == 409
        assert late.json()["code"] == "idempotency_answer_lost"
        assert await _count(database, "SELECT count(*) FROM notes") == 1

    async def test_a_request_whose_claim_was_taken_over_cannot_commit(self, notes) -> None:
        client, database = notes
        response = await client.post(
            "/notes", json={"name": "a", "taken_over": True}, headers=_headers("k-slow")
        )
        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_claim_lost"
        assert await _count(database, "SELECT count(*) FROM notes") == 0
