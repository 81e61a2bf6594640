"""Database failures as the caller sees them: a lost connection is 503, never a 500."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from kamkor_common.errors import install_error_handlers


def _app(*, connection_invalidated: bool) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/things")
    async def create() -> dict[str, str]:
        raise DBAPIError(
            "INSERT INTO things",
            {},
            ConnectionError("server closed the connection"),
            connection_invalidated=connection_invalidated,
        )

    return app


async def _post(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post("/things")


class TestLostConnection:
    async def test_a_connection_lost_under_the_request_is_503_with_retry_after(self) -> None:
        response = await _post(_app(connection_invalidated=True))
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "database_unavailable"

    async def test_any_other_database_error_is_an_internal_error(self) -> None:
        response = await _post(_app(connection_invalidated=False))
        assert response.status_code == 500
        assert response.json()["code"] == "internal_error"
