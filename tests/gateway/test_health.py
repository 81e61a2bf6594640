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
        assert response.json() == {
            "status": "ready",
            "services": {name: "ready" for name in ("registry", "risk", "referral", "shelter")},
        }

    async def test_not_ready_when_one_service_is_not(self, gateway, fakes):
        fakes["shelter"].ready = False
        try:
            response = await gateway.get("/readyz")
        finally:
            fakes["shelter"].ready = True

        assert response.status_code == 503
        # The service's own answer (its broker, its consumers) stays inside.
        assert response.json() == {
            "status": "not_ready",
            "services": {
                "registry": "ready",
                "risk": "ready",
                "referral": "ready",
                "shelter": "not_ready",
            },
        }

    async def test_not_ready_when_a_service_cannot_be_reached(self, degraded_gateway):
        response = await degraded_gateway.get("/readyz")

        assert response.status_code == 503
        assert response.json() == {
            "status": "not_ready",
            "services": {
                "registry": "ready",
                "risk": "ready",
                "referral": "unreachable",
                "shelter": "ready",
            },
        }

    async def test_a_service_too_slow_to_answer_is_unreachable(self, start_gateway, start_fake):
        async with (
            # Wide margins: the healthy services must answer within the timeout on a busy CI.
            start_fake("risk", delay_s=4.0) as risk,
            start_gateway({"risk": risk.url}, READINESS_TIMEOUT_S=1.5) as client,
        ):
            response = await client.get("/readyz")

        assert response.status_code == 503
        assert response.json()["services"]["risk"] == "unreachable"
        assert response.json()["services"]["registry"] == "ready"
