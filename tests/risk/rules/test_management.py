"""Managing rule sets over the API: list, read, activate (audited, race-safe), back-test.

The app runs on a database of its own, so that activations and the seeded store of
screenings here touch no other test; each test starts from an empty store with the
configured version (2026.1) active.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import httpx
import pytest
from sqlalchemy import delete
from sqlmodel import col, select

from kamkor_common.db import Database
from kamkor_common.messaging.broker import EmbeddedBroker
from kamkor_common.testing import running_app
from kamkor_risk.config import RiskSettings
from kamkor_risk.households.models import RiskHousehold
from kamkor_risk.main import create_app
from kamkor_risk.rules.models import RuleSetActivation, RuleSetState
from kamkor_risk.screenings.models import DomainAssessment, RiskFlag, Screening
from tests.risk.conftest import JALAL_ABAD, FakeRegistry, auth

RULE_SETS = "/api/v1/risk/rule-sets"
CHUY = ("KG-C", "KG-C-01")


def settings_for(url: str, registry: FakeRegistry, broker: EmbeddedBroker) -> RiskSettings:
    return RiskSettings(
        DATABASE_URL=url,
        KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap,
        ENVIRONMENT="test",
        ROLE="api",
        REGISTRY_URL=registry.url,
        # Tiny batches: the seeded store spans several, across households.
        BACKTEST_BATCH_SIZE=2,
        BACKTEST_MAX_SCREENINGS=50,
    )


@pytest.fixture(scope="module")
async def rules_database_url(make_database: Callable[[str], Awaitable[str]]) -> str:
    return await make_database("risk-rules")


@pytest.fixture(scope="module")
async def rules_settings(
    rules_database_url: str, fake_registry: FakeRegistry, broker: EmbeddedBroker
) -> RiskSettings:
    return settings_for(rules_database_url, fake_registry, broker)


@pytest.fixture(scope="module")
async def client(rules_settings: RiskSettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(rules_settings)) as running:
        yield running


@pytest.fixture(scope="module")
async def db(client: httpx.AsyncClient, rules_database_url: str) -> AsyncIterator[Database]:
    database = Database(rules_database_url)
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
async def fresh_store(db: Database) -> None:
    """No screenings, no activations, and the configured rule set active."""
    async with db.sessionmaker() as session, session.begin():
        for model in (DomainAssessment, RiskFlag, Screening, RuleSetActivation, RuleSetState):
            await session.execute(delete(model))


def admin(**claims: Any) -> dict[str, str]:
    return auth("admin", region=None, districts=(), subject="admin-aida", **claims)


def supervisor(region: str = JALAL_ABAD[0]) -> dict[str, str]:
    return auth("supervisor", region=region, districts=())


async def activate(
    client: httpx.AsyncClient,
    version: str,
    *,
    if_match: str | None = None,
    expected: str | None = None,
    reason: str | None = "older caregivers: council decision 14",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {}
    if reason is not None:
        body["reason"] = reason
    if expected is not None:
        body["expected_version"] = expected
    sent = dict(headers or admin())
    if if_match is not None:
        sent["If-Match"] = if_match
    return await client.post(f"{RULE_SETS}/{version}/activate", json=body, headers=sent)


async def activations(db: Database) -> list[RuleSetActivation]:
    async with db.sessionmaker() as session:
        result = await session.execute(
            select(RuleSetActivation).order_by(col(RuleSetActivation.revision))
        )
        return list(result.scalars().all())


def shipped_bytes(version: str) -> bytes:
    path = resources.files("kamkor_risk.rules") / "rulesets" / f"{version}.json"
    return path.read_bytes()


class TestList:
    async def test_lists_every_shipped_version_with_checksum_origin_and_the_active_one(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(RULE_SETS, headers=auth())

        assert response.status_code == 200
        assert response.headers["ETag"] == '"1"'
        body = response.json()
        assert body["active_version"] == "2026.1"
        by_version = {item["version"]: item for item in body["items"]}
        assert set(by_version) == {"2026.1", "2026.2"}
        first, second = by_version["2026.1"], by_version["2026.2"]
        assert first["active"] is True
        assert first["activated_by"] == "configuration"
        assert first["active_since"] is not None
        assert first["loaded_from"] == "shipped:2026.1.json"
        assert first["checksum"] == "sha256:" + hashlib.sha256(shipped_bytes("2026.1")).hexdigest()
        assert second["active"] is False
        assert second["active_since"] is None and second["activated_by"] is None
        assert second["checksum"] != first["checksum"]

    async def test_needs_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get(RULE_SETS)

        assert response.status_code == 401


class TestGetOne:
    async def test_returns_the_rules_of_a_version_that_is_not_active(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(f"{RULE_SETS}/2026.2", headers=auth())

        assert response.status_code == 200
        body = response.json()
        assert body["version"] == "2026.2"
        assert body["active"] is False
        assert body["loaded_from"] == "shipped:2026.2.json"
        age = next(
            r for r in body["domains"]["caregiving"]["rules"] if r["indicator"] == "caregiver_age"
        )
        assert {"when": {"gte": 70}, "points": 30} in age["bands"]
        triggers = {(t["indicator"], t["domain"], t["severity"]) for t in body["hard_triggers"]}
        assert ("homeless_now", "housing", "critical") in triggers

    async def test_an_unknown_version_is_a_404(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"{RULE_SETS}/1999.1", headers=auth())

        assert response.status_code == 404
        assert response.json()["code"] == "rule_set_not_found"


async def add_household(db: Database, place: tuple[str, str] = JALAL_ABAD) -> str:
    household_id = str(uuid.uuid4())
    async with db.sessionmaker() as session, session.begin():
        session.add(
            RiskHousehold(
                household_id=household_id,
                region=place[0],
                district=place[1],
                language="ky",
                children_birth_dates=["2018-05-01"],
                member_sexes=["female", "male"],
            )
        )
    return household_id


async def screen(client: httpx.AsyncClient, household_id: str, answers: dict[str, Any]) -> Any:
    response = await client.post(
        "/api/v1/risk/screenings",
        json={"household_id": household_id, "answers": answers},
        headers=auth("social_worker"),
    )
    assert response.status_code == 201, response.text
    return response.json()


class TestActivate:
    async def test_an_admin_activates_with_if_match_and_the_switch_is_audited(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        etag = (await client.get(RULE_SETS, headers=admin())).headers["ETag"]

        response = await activate(client, "2026.2", if_match=etag)

        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == '"2"'
        body = response.json()
        assert (body["from_version"], body["to_version"]) == ("2026.1", "2026.2")
        [row] = await activations(db)
        assert (row.from_version, row.to_version) == ("2026.1", "2026.2")
        assert row.activated_by == "admin-aida"
        assert row.role == "admin"
        assert row.reason == "older caregivers: council decision 14"
        assert abs(row.activated_at - datetime.now(UTC)) < timedelta(minutes=5)
        listed = (await client.get(RULE_SETS, headers=auth())).json()
        assert listed["active_version"] == "2026.2"
        active = next(i for i in listed["items"] if i["active"])
        assert (active["version"], active["activated_by"]) == ("2026.2", "admin-aida")
        audit = (await client.get(f"{RULE_SETS}/activations", headers=admin())).json()
        assert audit["total"] == 1
        assert audit["items"][0]["reason"] == "older caregivers: council decision 14"

    async def test_an_expected_version_serves_instead_of_if_match(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await activate(client, "2026.2", expected="2026.1")

        assert response.status_code == 200, response.text
        active = await client.get(f"{RULE_SETS}/active", headers=auth())
        assert active.json()["version"] == "2026.2"

    async def test_screenings_after_activation_use_and_record_the_new_version(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        household_id = await add_household(db)
        # A caregiver of 72: 20 points (low) under 2026.1, 30 (medium, a flag) under 2026.2.
        before = await screen(client, household_id, {"caregiver_age": 72})
        assert before["rule_set_version"] == "2026.1"
        assert not [f for f in before["flags"] if f["domain"] == "caregiving"]

        assert (await activate(client, "2026.2", expected="2026.1")).status_code == 200
        after = await screen(client, household_id, {"caregiver_age": 72})

        assert after["rule_set_version"] == "2026.2"
        caregiving = next(d for d in after["domains"] if d["domain"] == "caregiving")
        assert (caregiving["score"], caregiving["severity"]) == (30, "medium")
        [flag] = [f for f in after["flags"] if f["domain"] == "caregiving"]
        assert (flag["change"], flag["rule_set_version"]) == ("opened", "2026.2")
        async with db.sessionmaker() as session:
            stored = await session.get(Screening, after["id"])
        assert stored is not None and stored.rule_set_version == "2026.2"

    async def test_another_process_on_the_same_database_follows_the_activation(
        self, client: httpx.AsyncClient, rules_settings: RiskSettings
    ) -> None:
        async with running_app(create_app(rules_settings)) as other:
            seen = await other.get(f"{RULE_SETS}/active", headers=auth())
            assert seen.json()["version"] == "2026.1"

            assert (await activate(client, "2026.2", expected="2026.1")).status_code == 200

            seen = await other.get(f"{RULE_SETS}/active", headers=auth())
            assert seen.json()["version"] == "2026.2"

    @pytest.mark.parametrize("role", ["supervisor", "social_worker", "analyst", "auditor"])
    async def test_only_admins_activate(
        self, client: httpx.AsyncClient, db: Database, role: str
    ) -> None:
        headers = auth(role, region=JALAL_ABAD[0], districts=(JALAL_ABAD[1],))

        response = await activate(client, "2026.2", expected="2026.1", headers=headers)

        assert response.status_code == 403
        assert await activations(db) == []
        active = await client.get(f"{RULE_SETS}/active", headers=auth())
        assert active.json()["version"] == "2026.1"

    async def test_a_stale_etag_is_a_412(self, client: httpx.AsyncClient, db: Database) -> None:
        assert (await activate(client, "2026.2", if_match='"1"')).status_code == 200

        response = await activate(client, "2026.1", if_match='"1"')

        assert response.status_code == 412
        body = response.json()
        assert body["code"] == "version_mismatch"
        assert (body["revision"], body["active_version"]) == (2, "2026.2")
        assert len(await activations(db)) == 1

    async def test_a_stale_expected_version_is_a_409(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        assert (await activate(client, "2026.2", expected="2026.1")).status_code == 200

        response = await activate(client, "2026.1", expected="2026.1")

        assert response.status_code == 409
        assert response.json()["code"] == "rule_set_changed"
        assert response.json()["active_version"] == "2026.2"
        assert len(await activations(db)) == 1

    async def test_going_back_is_an_activation_like_any_other(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        assert (await activate(client, "2026.2", expected="2026.1")).status_code == 200

        response = await activate(client, "2026.1", if_match='"2"', reason="back-test review")

        assert response.status_code == 200
        rows = await activations(db)
        assert [(r.from_version, r.to_version, r.revision) for r in rows] == [
            ("2026.1", "2026.2", 2),
            ("2026.2", "2026.1", 3),
        ]

    async def test_neither_if_match_nor_expected_version_is_a_428(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await activate(client, "2026.2")

        assert response.status_code == 428
        assert response.json()["code"] == "if_match_required"

    async def test_a_reason_is_required(self, client: httpx.AsyncClient) -> None:
        response = await activate(client, "2026.2", expected="2026.1", reason=None)

        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"

    async def test_the_active_version_cannot_be_activated_again(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        response = await activate(client, "2026.1", expected="2026.1")

        assert response.status_code == 409
        assert response.json()["code"] == "rule_set_already_active"
        assert await activations(db) == []

    async def test_an_unloaded_version_cannot_be_activated(self, client: httpx.AsyncClient) -> None:
        response = await activate(client, "2027.1", expected="2026.1")

        assert response.status_code == 404
        assert response.json()["code"] == "rule_set_not_found"

    async def test_of_two_racing_activations_one_wins_and_one_is_refused(
        self, client: httpx.AsyncClient, db: Database
    ) -> None:
        first, second = await asyncio.gather(
            activate(client, "2026.2", if_match='"1"', reason="first"),
            activate(client, "2026.2", if_match='"1"', reason="second"),
        )

        statuses = sorted([first.status_code, second.status_code])
        assert statuses[0] == 200
        assert statuses[1] in (409, 412)
        assert len(await activations(db)) == 1


# --- back-test --------------------------------------------------------------------------

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def seed(db: Database, household_id: str, answers: dict[str, Any], at: datetime) -> str:
    screening_id = str(uuid.uuid4())
    async with db.sessionmaker() as session, session.begin():
        session.add(
            Screening(
                id=screening_id,
                household_id=household_id,
                answers=answers,
                rule_set_version="2026.1",
                created_at=at,
                created_by="seed",
            )
        )
    return screening_id


class Store:
    """Five households, six screenings; what 2026.2 changes against 2026.1 is worked out by hand.

    - older: caregiver 72 alone — caregiving low (20) → medium (30): a flag opens.
    - abroad: caregiver 72, both parents abroad — 45 medium → 55 high: severity up.
    - twice: caregiver 72 first, then 40 — the latest (no change) decides the household.
    - debts (Chuy): 12 months of debt, breadwinner unemployed — financial 45 → 55: up.
    - evicted: eviction in 5 days — housing critical under both.
    """

    def __init__(self, ids: dict[str, str]) -> None:
        self.ids = ids


@pytest.fixture
async def store(db: Database) -> Store:
    ids = {name: await add_household(db) for name in ("older", "abroad", "twice", "evicted")}
    ids["debts"] = await add_household(db, CHUY)
    await seed(db, ids["older"], {"caregiver_age": 72}, T0)
    await seed(db, ids["abroad"], {"caregiver_age": 72, "both_parents_abroad": True}, T0)
    await seed(db, ids["twice"], {"caregiver_age": 72}, T0)
    await seed(db, ids["twice"], {"caregiver_age": 40}, T0 + timedelta(days=30))
    await seed(db, ids["debts"], {"debt_arrears_months": 12, "breadwinner_unemployed": True}, T0)
    await seed(db, ids["evicted"], {"eviction_notice_days": 5}, T0 + timedelta(days=60))
    return Store(ids)


async def backtest(
    client: httpx.AsyncClient,
    version: str = "2026.2",
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    return await client.post(
        f"{RULE_SETS}/{version}/backtest", json=body, headers=headers or admin()
    )


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {severity: n for severity, n in counts.items() if n}


class TestBacktest:
    async def test_counts_both_sets_by_domain_and_severity_and_their_difference(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        response = await backtest(client)

        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["candidate_version"], body["active_version"]) == ("2026.2", "2026.1")
        assert (body["screenings"], body["households"], body["truncated"]) == (6, 5, False)
        assert nonzero(body["active"]["caregiving"]) == {"none": 3, "low": 2, "medium": 1}
        assert nonzero(body["candidate"]["caregiving"]) == {"none": 3, "medium": 2, "high": 1}
        assert nonzero(body["difference"]["caregiving"]) == {"low": -2, "medium": 1, "high": 1}
        assert nonzero(body["active"]["financial"]) == {"none": 5, "medium": 1}
        assert nonzero(body["candidate"]["financial"]) == {"none": 5, "high": 1}
        assert nonzero(body["active"]["housing"]) == {"none": 5, "critical": 1}
        assert nonzero(body["difference"]["housing"]) == {}
        for domain in body["active"]:
            assert sum(body["active"][domain].values()) == 6
            assert sum(body["candidate"][domain].values()) == 6

    async def test_names_the_households_whose_flags_would_change(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        body = (await backtest(client)).json()

        assert nonzero(body["flag_changes"]["caregiving"]) == {"opened": 1, "severity_up": 1}
        assert nonzero(body["flag_changes"]["financial"]) == {"severity_up": 1}
        assert body["changed_households_total"] == 3
        changed = {h["household_id"]: h["changes"] for h in body["changed_households"]}
        ids = store.ids
        assert set(changed) == {ids["older"], ids["abroad"], ids["debts"]}
        assert changed[ids["older"]] == [
            {
                "domain": "caregiving",
                "change": "opened",
                "active_severity": "low",
                "candidate_severity": "medium",
            }
        ]
        assert changed[ids["abroad"]][0]["change"] == "severity_up"
        assert changed[ids["debts"]][0]["domain"] == "financial"
        listed = [h["household_id"] for h in body["changed_households"]]
        assert listed == sorted(listed)

    async def test_against_a_newer_active_set_flags_close_and_go_down(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        assert (await activate(client, "2026.2", expected="2026.1")).status_code == 200

        body = (await backtest(client, "2026.1")).json()

        assert (body["candidate_version"], body["active_version"]) == ("2026.1", "2026.2")
        assert nonzero(body["flag_changes"]["caregiving"]) == {"closed": 1, "severity_down": 1}
        assert nonzero(body["flag_changes"]["financial"]) == {"severity_down": 1}

    async def test_filters_by_region_and_period(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        in_jalal_abad = (await backtest(client, region="KG-J")).json()
        assert (in_jalal_abad["screenings"], in_jalal_abad["households"]) == (5, 4)
        assert in_jalal_abad["changed_households_total"] == 2

        window = {
            "since": (T0 + timedelta(days=1)).isoformat(),
            "until": (T0 + timedelta(days=45)).isoformat(),
        }
        later = (await backtest(client, **window)).json()
        assert (later["screenings"], later["households"]) == (1, 1)
        assert later["changed_households_total"] == 0

    async def test_a_limit_stops_the_count_and_says_so(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        body = (await backtest(client, limit=3)).json()

        assert (body["screenings"], body["truncated"]) == (3, True)
        assert sum(body["active"]["housing"].values()) == 3

    async def test_the_list_of_households_is_capped_but_the_total_is_not(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        body = (await backtest(client, households_limit=1)).json()

        assert body["changed_households_total"] == 3
        assert len(body["changed_households"]) == 1

    async def test_a_limit_above_the_service_maximum_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await backtest(client, limit=51)

        assert response.status_code == 422
        assert response.json()["code"] == "backtest_limit_too_high"

    async def test_a_supervisor_back_tests_her_own_region_only(
        self, client: httpx.AsyncClient, store: Store
    ) -> None:
        body = (await backtest(client, headers=supervisor(CHUY[0]))).json()

        assert (body["screenings"], body["households"]) == (1, 1)
        assert [h["household_id"] for h in body["changed_households"]] == [store.ids["debts"]]
        refused = await backtest(client, headers=supervisor(CHUY[0]), region="KG-J")
        assert refused.status_code == 403
        assert refused.json()["code"] == "region_out_of_scope"

    @pytest.mark.parametrize("role", ["analyst", "social_worker", "auditor", "partner"])
    async def test_other_roles_may_not_back_test(
        self, client: httpx.AsyncClient, role: str
    ) -> None:
        headers = auth(role, region=JALAL_ABAD[0], districts=(JALAL_ABAD[1],))

        response = await backtest(client, headers=headers)

        assert response.status_code == 403

    async def test_an_unknown_candidate_or_region_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (await backtest(client, "1999.1")).status_code == 404
        unknown = await backtest(client, region="KG-ZZ")
        assert unknown.status_code == 422
        assert unknown.json()["code"] == "unknown_region"
        backwards = await backtest(
            client, since=T0.isoformat(), until=(T0 - timedelta(days=1)).isoformat()
        )
        assert backwards.status_code == 422
        assert backwards.json()["code"] == "invalid_period"

    async def test_an_empty_store_gives_zero_counts(self, client: httpx.AsyncClient) -> None:
        body = (await backtest(client)).json()

        assert (body["screenings"], body["households"], body["changed_households_total"]) == (
            0,
            0,
            0,
        )
        assert set(body["active"]["housing"].values()) == {0}
