"""`GET /api/v1/risk/indicators`."""

from __future__ import annotations

import httpx

from tests.risk.conftest import auth


class TestListIndicators:
    async def test_lists_the_vocabulary_with_labels_and_paging(
        self, risk_client: httpx.AsyncClient
    ) -> None:
        response = await risk_client.get("/api/v1/risk/indicators", headers=auth("partner"))

        assert response.status_code == 200
        body = response.json()
        assert body["total"] == len(body["items"]) >= 25
        eviction = next(i for i in body["items"] if i["code"] == "eviction_notice_days")
        assert eviction["type"] == "int"
        assert eviction["unit"] == "days"
        assert set(eviction["label"]) == {"ky", "ru", "en"}

    async def test_pages(self, risk_client: httpx.AsyncClient) -> None:
        response = await risk_client.get("/api/v1/risk/indicators?limit=5&offset=5", headers=auth())

        body = response.json()
        assert (len(body["items"]), body["limit"], body["offset"]) == (5, 5, 5)

    async def test_needs_a_token(self, risk_client: httpx.AsyncClient) -> None:
        response = await risk_client.get("/api/v1/risk/indicators")

        assert response.status_code == 401
