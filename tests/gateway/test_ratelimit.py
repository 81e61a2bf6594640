from __future__ import annotations

import uuid

import httpx
import pytest

from kamkor_common.testing import dev_token

PROBLEM_JSON = "application/problem+json"
REDIS_URL = "redis://127.0.0.1:6379/0"
ECHO = "/api/v1/risk/echo"


def bearer(role: str = "social_worker", **claims: str) -> dict[str, str]:
    """A token of its own holder, so that no other test's count is shared."""
    subject = claims.pop("subject", f"user-{uuid.uuid4()}")
    return {"Authorization": f"Bearer {dev_token(role, subject=subject, **claims)}"}


async def send(client: httpx.AsyncClient, count: int, **kwargs: object) -> list[httpx.Response]:
    return [await client.get(ECHO, **kwargs) for _ in range(count)]  # type: ignore[arg-type]


def statuses(responses: list[httpx.Response]) -> list[int]:
    return [r.status_code for r in responses]


class TestRateLimit:
    async def test_answers_429_past_the_limit_and_a_different_client_goes_on(self, start_gateway):
        worker, colleague = bearer(), bearer()
        async with start_gateway(RATE_LIMIT_STAFF="250/minute") as gateway:
            responses = await send(gateway, 300, headers=worker)
            other = await gateway.get(ECHO, headers=colleague)

        assert statuses(responses) == [200] * 250 + [429] * 50
        refused = responses[-1]
        assert refused.headers["content-type"] == PROBLEM_JSON
        assert refused.json()["code"] == "rate_limited"
        assert refused.json()["status"] == 429
        # The window is a minute and the first request was a moment ago.
        assert 30 <= int(refused.headers["retry-after"]) <= 60
        assert refused.headers["ratelimit-remaining"] == "0"
        assert refused.headers["ratelimit-limit"] == "250"
        assert other.status_code == 200
        assert other.headers["ratelimit-remaining"] == "249"

    async def test_every_counted_answer_says_what_is_left(self, start_gateway):
        async with start_gateway(RATE_LIMIT_STAFF="5/minute") as gateway:
            responses = await send(gateway, 3, headers=bearer())

        assert [r.headers["ratelimit-remaining"] for r in responses] == ["4", "3", "2"]
        for response in responses:
            # One value each: the gateway's own count, never a second one from a service.
            assert response.headers.get_list("ratelimit-limit") == ["5"]
            assert response.headers["ratelimit-policy"] == "5;w=60"
            assert 0 < int(response.headers["ratelimit-reset"]) <= 60
            assert "retry-after" not in response.headers

    async def test_anonymous_callers_are_counted_by_address_under_60_a_minute(self, start_gateway):
        # The defaults, as a deployment without settings has them.
        async with start_gateway(
            RATE_LIMIT_ANONYMOUS="60/minute",
            RATE_LIMIT_STAFF="1200/minute",
            RATE_LIMIT_PARTNER="600/minute",
        ) as gateway:
            anonymous = await send(gateway, 61)
            # A token that does not verify is no way around the limit of the address.
            forged = await gateway.get(ECHO, headers={"Authorization": "Bearer forged"})
            holder = await gateway.get(ECHO, headers=bearer())

        assert statuses(anonymous) == [401] * 60 + [429]
        assert anonymous[0].headers["ratelimit-limit"] == "60"
        assert forged.status_code == 429
        assert holder.status_code == 200
        assert holder.headers["ratelimit-limit"] == "1200"

    async def test_partners_have_their_own_limit_counted_per_organisation(self, start_gateway):
        subject = f"system-{uuid.uuid4()}"
        first = bearer("partner", organization_id="org-a", subject=subject)
        same_holder_elsewhere = bearer("partner", organization_id="org-b", subject=subject)
        async with start_gateway(RATE_LIMIT_PARTNER="3/minute") as gateway:
            responses = await send(gateway, 4, headers=first)
            elsewhere = await gateway.get(ECHO, headers=same_holder_elsewhere)
            staff = await gateway.get(ECHO, headers=bearer())

        assert statuses(responses) == [200, 200, 200, 429]
        assert elsewhere.status_code == 200
        assert staff.headers["ratelimit-limit"] == "100000"

    async def test_a_role_can_have_its_own_limit(self, start_gateway):
        async with start_gateway(RATE_LIMIT_ROLES={"analyst": "2/minute"}) as gateway:
            analyst = await send(gateway, 3, headers=bearer("analyst"))
            worker = await gateway.get(ECHO, headers=bearer())

        assert statuses(analyst) == [200, 200, 429]
        assert worker.headers["ratelimit-limit"] == "100000"

    async def test_the_tightest_of_several_limits_is_shown_and_applied(self, start_gateway):
        async with start_gateway(RATE_LIMIT_STAFF="2/second;100/minute") as gateway:
            responses = await send(gateway, 3, headers=bearer())

        assert statuses(responses) == [200, 200, 429]
        assert responses[1].headers["ratelimit-limit"] == "2"
        assert responses[1].headers["ratelimit-policy"] == "2;w=1"
        assert responses[2].headers["retry-after"] == "1"

    @pytest.mark.parametrize("path", ["/livez", "/metrics", "/docs", "/asyncapi.json"])
    async def test_probes_metrics_and_documents_are_never_counted(self, start_gateway, path):
        async with start_gateway(RATE_LIMIT_ANONYMOUS="2/minute") as gateway:
            responses = [await gateway.get(path) for _ in range(5)]
            counted = await gateway.get(ECHO)

        assert statuses(responses) == [200] * 5
        assert "ratelimit-limit" not in responses[-1].headers
        assert counted.headers["ratelimit-remaining"] == "1"

    async def test_can_be_switched_off(self, start_gateway):
        async with start_gateway(
            RATE_LIMIT_ENABLED=False, RATE_LIMIT_ANONYMOUS="1/minute"
        ) as gateway:
            responses = await send(gateway, 3)

        assert statuses(responses) == [401] * 3
        assert "ratelimit-limit" not in responses[-1].headers


class TestRedisStorage:
    async def test_two_gateways_share_one_count(self, start_gateway):
        worker = bearer()
        settings = {"REDIS_URL": REDIS_URL, "RATE_LIMIT_STAFF": "10/minute"}
        async with start_gateway(**settings) as one, start_gateway(**settings) as two:
            first = await send(one, 6, headers=worker)
            second = await send(two, 5, headers=worker)

        assert statuses(first) == [200] * 6
        assert statuses(second) == [200] * 4 + [429]
        assert second[0].headers["ratelimit-remaining"] == "3"
        assert 0 < int(second[-1].headers["retry-after"]) <= 60

    async def test_answers_uncounted_while_the_store_is_down(
        self, start_gateway, unused_url, capfd
    ):
        dead = unused_url().replace("http://", "redis://")
        async with start_gateway(
            REDIS_URL=dead, RATE_LIMIT_STAFF="1/minute", RATE_LIMIT_STORAGE_TIMEOUT_S=0.2
        ) as gateway:
            responses = await send(gateway, 3, headers=bearer())

        # A family's record must stay reachable when the limit store is not.
        assert statuses(responses) == [200] * 3
        assert "ratelimit-limit" not in responses[0].headers
        # Logged once, then not asked again for a while.
        # (The gateway's logs go to stderr as JSON lines.)
        assert capfd.readouterr().err.count("rate limit store unavailable") == 1
