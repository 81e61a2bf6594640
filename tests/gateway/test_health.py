from __future__ import annotations


class TestLivez:
    async def test_answers_without_token(self, gateway):
        response = await gateway.get("/livez")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


class TestReadyz:
    async def test_ready_when_every_service_is_ready(self, gateway):
        response = await gateway.get("/readyz")

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "ready"
        assert set(response.json()["services"]) == {"registry", "risk", "referral", "shelter"}
        assert all(s["status"] == "ready" for s in response.json()["services"].values())

    async def test_not_ready_when_one_service_is_not(self, gateway, fakes):
        fakes["shelter"].ready = False
        try:
            response = await gateway.get("/readyz")
        finally:
            fakes["shelter"].ready = True

        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not_ready"
        assert body["services"]["shelter"]["status"] == "not_ready"
        assert body["services"]["shelter"]["http_status"] == 503
        assert body["services"]["shelter"]["detail"] == {"status": "not_ready"}
        assert body["services"]["registry"]["status"] == "ready"

    async def test_not_ready_when_a_service_cannot_be_reached(self, degraded_gateway):
        response = await degraded_gateway.get("/readyz")

        assert response.status_code == 503
        services = response.json()["services"]
        assert services["referral"]["status"] == "upstream_unavailable"
        assert services["risk"]["status"] == "ready"
