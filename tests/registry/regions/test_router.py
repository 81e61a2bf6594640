"""The region reference data over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import httpx

NINE_REGIONS = {"KG-GB", "KG-GO", "KG-B", "KG-C", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y"}


class TestListRegions:
    async def test_lists_the_nine_regions_with_their_districts(
        self, registry_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
    ) -> None:
        response = await registry_client.get("/api/v1/registry/regions", headers=auth("partner"))

        assert response.status_code == 200
        body = response.json()
        assert body["total"] == 9
        assert (body["limit"], body["offset"]) == (50, 0)
        assert {region["code"] for region in body["items"]} == NINE_REGIONS
        jalal_abad = next(region for region in body["items"] if region["code"] == "KG-J")
        assert jalal_abad["name"]["en"] == "Jalal-Abad Region"
        district = next(d for d in jalal_abad["districts"] if d["code"] == "KG-J-06")
        assert set(district["name"]) == {"ky", "ru", "en"}
        assert all(district["name"].values())
        assert all(region["districts"] for region in body["items"])

    async def test_pages_through_the_regions(
        self, registry_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
    ) -> None:
        response = await registry_client.get(
            "/api/v1/registry/regions", params={"limit": 4, "offset": 8}, headers=auth("analyst")
        )

        body = response.json()
        assert (body["total"], len(body["items"]), body["offset"]) == (9, 1, 8)

    async def test_needs_a_token(self, registry_client: httpx.AsyncClient) -> None:
        response = await registry_client.get("/api/v1/registry/regions")

        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "unauthorized"


class TestGetRegion:
    async def test_answers_one_region(
        self, registry_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
    ) -> None:
        response = await registry_client.get(
            "/api/v1/registry/regions/KG-J", headers=auth("social_worker")
        )

        assert response.status_code == 200
        body = response.json()
        assert body["code"] == "KG-J"
        assert "KG-J-06" in {d["code"] for d in body["districts"]}

    async def test_unknown_region_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Callable[..., dict[str, str]]
    ) -> None:
        response = await registry_client.get(
            "/api/v1/registry/regions/KG-X", headers=auth("social_worker")
        )

        assert response.status_code == 404
        assert response.json()["code"] == "region_not_found"
