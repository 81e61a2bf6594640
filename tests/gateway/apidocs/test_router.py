from __future__ import annotations

import asyncio


def _schema_of(document: dict, path: str) -> dict:
    response = document["paths"][path]["get"]["responses"]["200"]
    ref = response["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def _ref_name(schema: dict) -> str:
    return schema["$ref"].rsplit("/", 1)[1]


class TestOpenapi:
    async def test_merges_the_services_documents_without_token(self, gateway):
        response = await gateway.get("/openapi.json")

        assert response.status_code == 200
        paths = response.json()["paths"]
        assert "/api/v1/families/{household_id}" in paths
        assert "/api/v1/registry/households/{household_id}" in paths
        assert "/api/v1/risk/flags" in paths
        assert "/api/v1/referrals" in paths
        # The fakes' other routes are not public API.
        assert "/internal/stats" not in paths
        assert not [
            p for p in paths if not p.startswith(("/api/v1/", "/partner/v1/", "/oauth/token"))
        ]
        assert "x-kamkor-unavailable-services" not in response.json()

    async def test_keeps_each_services_schemas_apart(self, gateway):
        document = (await gateway.get("/openapi.json")).json()
        schemas = document["components"]["schemas"]

        household = _schema_of(document, "/api/v1/registry/households/{household_id}")
        flags = _schema_of(document, "/api/v1/risk/flags")
        flag = schemas[_ref_name(flags["properties"]["items"]["items"])]
        household_note = schemas[_ref_name(household["properties"]["note"])]
        flag_note = schemas[_ref_name(flag["properties"]["note"])]
        assert set(household_note["properties"]) == {"text"}
        assert set(flag_note["properties"]) == {"score"}

    async def test_documents_the_family_view_and_bearer_auth(self, gateway):
        document = (await gateway.get("/openapi.json")).json()

        family = document["paths"]["/api/v1/families/{household_id}"]["get"]
        assert "partial" in family["description"]
        assert "FamilyRead" in document["components"]["schemas"]
        assert document["components"]["securitySchemes"]["bearerAuth"]["type"] == "http"

    async def test_serves_what_it_has_and_asks_again_later(
        self, start_gateway, start_fake, bound_socket
    ):
        shelter_url = f"http://127.0.0.1:{bound_socket.getsockname()[1]}"
        async with start_gateway({"shelter": shelter_url}, OPENAPI_RETRY_S=0) as client:
            first = (await client.get("/openapi.json")).json()
            async with start_fake("shelter", sock=bound_socket) as shelter:
                shelter.app.get("/api/v1/shelters/{shelter_id}")(_shelter)
                shelter.app.openapi_schema = None
                second = (await client.get("/openapi.json")).json()
            third = (await client.get("/openapi.json")).json()

        assert first["x-kamkor-unavailable-services"] == ["shelter"]
        assert "/api/v1/risk/flags" in first["paths"]
        assert "/api/v1/shelters/{shelter_id}" not in first["paths"]
        assert "x-kamkor-unavailable-services" not in second
        assert "/api/v1/shelters/{shelter_id}" in second["paths"]
        # Once complete, the document is kept: the shelter going away changes nothing.
        assert third == second

    async def test_asks_a_missing_service_again_only_after_the_retry_time(
        self, start_gateway, start_fake
    ):
        async with (
            start_fake("shelter") as shelter,
            start_gateway({"shelter": shelter.url}, OPENAPI_RETRY_S=1.0) as client,
        ):
            shelter.openapi_status = 503
            while_down = [(await client.get("/openapi.json")).json() for _ in range(5)]
            asked_while_down = shelter.openapi_requests
            shelter.openapi_status = 200
            too_soon = (await client.get("/openapi.json")).json()
            asked_too_soon = shelter.openapi_requests
            await asyncio.sleep(1.1)
            later = (await client.get("/openapi.json")).json()

        assert all(d["x-kamkor-unavailable-services"] == ["shelter"] for d in while_down)
        assert asked_while_down == 1
        assert too_soon["x-kamkor-unavailable-services"] == ["shelter"]
        assert asked_too_soon == 1
        assert "x-kamkor-unavailable-services" not in later
        assert shelter.openapi_requests == 2

    async def test_a_slow_service_holds_up_no_more_than_one_fetch(self, start_gateway, start_fake):
        async with (
            start_fake("shelter", delay_s=2.0) as shelter,
            start_gateway(
                {"shelter": shelter.url}, READINESS_TIMEOUT_S=0.5, OPENAPI_RETRY_S=60
            ) as client,
        ):
            first = await client.get("/openapi.json")
            others = await asyncio.gather(*(client.get("/openapi.json") for _ in range(10)))

        # The first request gave up on the slow service (its fetch timed out) ...
        assert first.json()["x-kamkor-unavailable-services"] == ["shelter"]
        # ... and the ten after it were served from that document, asking nobody again.
        assert all(r.json() == first.json() for r in others)
        assert shelter.openapi_requests == 1

    async def test_others_get_the_document_at_once_while_one_request_fetches(
        self, start_gateway, start_fake
    ):
        async with (
            start_fake("shelter", delay_s=4.0) as shelter,
            start_gateway(
                {"shelter": shelter.url}, READINESS_TIMEOUT_S=2.0, OPENAPI_RETRY_S=0.2
            ) as client,
        ):
            first = await client.get("/openapi.json")
            await asyncio.sleep(0.3)
            fetching = asyncio.create_task(client.get("/openapi.json"))
            await asyncio.sleep(0.1)
            meanwhile = await client.get("/openapi.json")
            # Answered while the other request still waits on the slow service.
            assert not fetching.done()
            fetched = await fetching

        assert meanwhile.json() == first.json()
        # The fetch gave up at its timeout although the service takes longer.
        assert fetched.json()["x-kamkor-unavailable-services"] == ["shelter"]
        assert shelter.openapi_requests == 2


async def _shelter(shelter_id: str) -> dict:
    return {"id": shelter_id}


class TestDocs:
    async def test_swagger_ui_shows_the_merged_document(self, gateway):
        response = await gateway.get("/docs")

        assert response.status_code == 200
        assert "swagger-ui" in response.text
        assert "'/openapi.json'" in response.text or '"/openapi.json"' in response.text


class TestAsyncapi:
    async def test_serves_the_event_document_without_token(self, gateway):
        response = await gateway.get("/asyncapi.json")

        assert response.status_code == 200
        document = response.json()
        assert document["asyncapi"] == "3.0.0"
        addresses = {c["address"] for c in document["channels"].values()}
        assert "referral.referrals.v1" in addresses and "risk.flags.v1" in addresses
        names = {m["name"] for m in document["components"]["messages"].values()}
        assert "kamkor.registry.consent.recorded.v1" in names
