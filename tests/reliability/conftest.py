"""One platform for the reliability cases: five processes on PostgreSQL, the broker behind a
TCP proxy that a case can cut, and the checks every case ends with (DESIGN §3).

The cases share the platform and keep apart by using their own households; a case that
kills a process starts it again before it ends.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from kamkor_common.messaging.broker import free_port
from kamkor_common.reference.partners import SHELTERS
from kamkor_common.testing import TcpProxy, dev_token, wait_until
from kamkor_gateway.devrun import DEFAULT_PORTS, SERVICES, Platform

REGION, DISTRICT = "KG-J", "KG-J-06"
FAMILY_SHELTERS = [s.id for s in SHELTERS if "family" in s.beds]
# Beds enough for every housing family of every case, unless a case sets fewer.
PLENTY = 400

HOUSING = {"eviction_notice_days": 3}
FINANCIAL = {
    "below_subsistence_minimum": True,
    "debt_arrears_months": 4,
    "breadwinner_unemployed": True,
}
# What each kind of answers must end in (rule set 2026.1, needs mapping 2026.1): eviction in
# three days is housing critical, the financial answers score 55, financial high.
EXPECTED = {
    "housing": {"temporary_shelter", "legal_aid"},
    "financial": {"social_benefits", "employment_support"},
}
ANSWERS = {"housing": HOUSING, "financial": FINANCIAL}
# A retried request meets these while a part is away; anything else is an error.
RETRYABLE = {409, 500, 502, 503, 504}


def _household(n: int) -> dict[str, Any]:
    return {
        "region": REGION,
        "district": DISTRICT,
        "settlement": "Suzak",
        "address": f"Toktogul st. {n}",
        "language": "ky",
        "members": [
            {
                "role": "parent",
                "family_name": "Адылбекова",
                "given_name": "Айдай",
                "sex": "female",
                "birth_date": "1994-03-02",
            },
            {
                "role": "child",
                "family_name": "Адылбеков",
                "given_name": "Нурлан",
                "sex": "male",
                "birth_date": "2017-09-14",
            },
        ],
    }


@dataclass
class Family:
    """One household of a case, the screening it gets, and what the client saw."""

    household_id: str
    kind: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    screening_id: str | None = None
    answered_at: float | None = None
    attempts: int = 0
    failures: list[str] = field(default_factory=list)
    # The service made the change but died before its answer was stored (409
    # idempotency_answer_lost): the client looks the screening up instead.
    answer_lost: bool = False

    @property
    def expected(self) -> set[str]:
        return EXPECTED[self.kind]


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@dataclass
class Reliability:
    """The running platform, its broker proxy, and what the cases do and check with it."""

    platform: Platform
    proxy: TcpProxy
    worker: httpx.AsyncClient
    admin: httpx.AsyncClient

    # --- databases ----------------------------------------------------------------------

    async def query(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        connection = await self._connect(service)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    async def _connect(self, service: str) -> asyncpg.Connection:
        """A connection of the test's own, waiting while the shared server is full."""
        deadline = time.monotonic() + 60
        while True:
            try:
                return await asyncpg.connect(_plain(self.platform.database_urls[service]))
            except (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.5)

    def database_name(self, service: str) -> str:
        return self.platform.database_urls[service].rsplit("/", 1)[1]

    # --- driving --------------------------------------------------------------------------

    async def register(
        self, count: int, kinds: Sequence[str] = ("housing", "financial")
    ) -> list[Family]:
        """Register households (kinds alternate), before any failure is injected."""
        semaphore = asyncio.Semaphore(4)

        async def one(n: int) -> Family:
            async with semaphore:
                response = await self.worker.post("/api/v1/registry/households", json=_household(n))
            assert response.status_code == 201, response.text
            return Family(household_id=response.json()["id"], kind=kinds[n % len(kinds)])

        return list(await asyncio.gather(*(one(n) for n in range(count))))

    async def screen(self, family: Family, *, give_up_after_s: float = 150) -> None:
        """POST the screening until it is answered 201, always under the same key."""
        deadline = time.monotonic() + give_up_after_s
        while True:
            family.attempts += 1
            try:
                response = await self.worker.post(
                    "/api/v1/risk/screenings",
                    json={"household_id": family.household_id, "answers": ANSWERS[family.kind]},
                    headers={"Idempotency-Key": family.key},
                )
            except httpx.HTTPError as exc:
                family.failures.append(type(exc).__name__)
            else:
                if response.status_code == 201:
                    family.screening_id = response.json()["id"]
                    family.answered_at = time.monotonic()
                    return
                is_json = response.headers.get("content-type", "").endswith("json")
                code = response.json().get("code") if is_json else None
                if code == "idempotency_answer_lost":
                    rows = await self.query(
                        "risk",
                        "SELECT id FROM screenings WHERE household_id = $1",
                        family.household_id,
                    )
                    assert len(rows) == 1, f"{family.household_id}: {len(rows)} screenings"
                    family.screening_id, family.answer_lost = rows[0]["id"], True
                    family.answered_at = time.monotonic()
                    return
                if response.status_code not in RETRYABLE:
                    raise AssertionError(
                        f"screening refused: {response.status_code} {response.text}"
                    )
                family.failures.append(f"{response.status_code} {response.text[:200]}")
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"screening of {family.household_id} never answered: {family.failures[-5:]}"
                )
            await asyncio.sleep(0.3)

    async def stream(
        self, families: Sequence[Family], *, interval_s: float = 0.2, concurrency: int = 4
    ) -> None:
        """Start one screening every `interval_s`, at most `concurrency` at a time."""
        semaphore = asyncio.Semaphore(concurrency)

        async def one(family: Family) -> None:
            async with semaphore:
                await self.screen(family)

        tasks = []
        for family in families:
            tasks.append(asyncio.create_task(one(family)))
            await asyncio.sleep(interval_s)
        await asyncio.gather(*tasks)

    @staticmethod
    def answered(families: Iterable[Family]) -> int:
        return sum(1 for f in families if f.screening_id is not None)

    # --- shelters -------------------------------------------------------------------------

    async def set_family_beds(self, totals: dict[str, int]) -> None:
        """Set the family beds of shelters and wait until the referral service knows."""
        for shelter_id, total in totals.items():
            response = await self.admin.put(
                f"/api/v1/shelters/{shelter_id}/categories/family", json={"total": total}
            )
            assert response.status_code == 200, response.text

        async def known() -> bool:
            rows = await self.query(
                "referral",
                "SELECT shelter_id, total FROM shelter_availability WHERE category = 'family'",
            )
            seen = {r["shelter_id"]: r["total"] for r in rows}
            return all(seen.get(s) == t for s, t in totals.items())

        await wait_until(known, timeout_s=60, interval_s=0.2)

    async def family_beds(self, shelter_id: str) -> dict[str, int]:
        response = await self.admin.get(f"/api/v1/shelters/{shelter_id}")
        assert response.status_code == 200, response.text
        return next(c for c in response.json()["categories"] if c["category"] == "family")

    # --- settling and checking ------------------------------------------------------------

    async def referrals(self, families: Iterable[Family]) -> list[asyncpg.Record]:
        return await self.query(
            "referral",
            "SELECT id, household_id, service_type, status, hold_status, shelter_id "
            "FROM referrals WHERE household_id = ANY($1::text[])",
            [f.household_id for f in families],
        )

    async def consumer_total(self, counter: str, services: Sequence[str] = SERVICES) -> int:
        """A counter (`handled`, `duplicates`, `dead_lettered`) summed over consumer groups."""
        total = 0
        async with httpx.AsyncClient(timeout=5) as client:
            for service in services:
                body = (await client.get(f"{self.platform.url(service)}/readyz")).json()
                total += sum(int(c[counter]) for c in body.get("consumers", []))
        return total

    async def backlogs(self) -> dict[str, int]:
        counts = {}
        for service in SERVICES:
            rows = await self.query(
                service, "SELECT count(*) AS n FROM outbox_messages WHERE sent_at IS NULL"
            )
            counts[service] = rows[0]["n"]
        return counts

    async def settle(
        self,
        families: Sequence[Family],
        *,
        timeout_s: float = 120,
        hold_settled: Callable[[asyncpg.Record], bool] | None = None,
    ) -> float:
        """Wait until every answered screening has its referrals and each shelter referral its
        bed (or, with `hold_settled`, another final answer), with every outbox drained.

        Returns how long it took, so that a case can report it.
        """
        settled = hold_settled or (lambda r: r["hold_status"] == "held")
        started = time.monotonic()
        missing: list[str] = []

        async def done() -> bool:
            rows = await self.referrals(families)
            by_household: dict[str, dict[str, asyncpg.Record]] = {}
            for row in rows:
                by_household.setdefault(row["household_id"], {})[row["service_type"]] = row
            missing.clear()
            for family in families:
                if family.screening_id is None:
                    continue
                got = by_household.get(family.household_id, {})
                if set(got) != family.expected:
                    missing.append(f"{family.household_id}: {sorted(got)}")
                elif "temporary_shelter" in got and not settled(got["temporary_shelter"]):
                    row = got["temporary_shelter"]
                    missing.append(f"{family.household_id}: {row['status']}/{row['hold_status']}")
            if missing:
                return False
            return not any((await self.backlogs()).values())

        try:
            await wait_until(done, timeout_s=timeout_s, interval_s=0.5)
        except AssertionError as exc:
            raise AssertionError(
                f"not settled: {missing[:10]} backlogs {await self.backlogs()}"
            ) from exc
        return time.monotonic() - started

    async def check(self, families: Sequence[Family]) -> None:
        """Nothing lost, nothing duplicated, no bed overbooked."""
        answered = [f for f in families if f.screening_id is not None]
        assert len(answered) == len(families), "every screening was answered 201 in the end"
        ids = [f.household_id for f in families]

        # One screening per Idempotency-Key (each family sent one, perhaps many times).
        screenings = await self.query(
            "risk",
            "SELECT household_id, array_agg(id) AS ids FROM screenings "
            "WHERE household_id = ANY($1::text[]) GROUP BY household_id",
            ids,
        )
        stored = {r["household_id"]: list(r["ids"]) for r in screenings}
        for family in families:
            assert stored.get(family.household_id) == [family.screening_id], (
                f"household {family.household_id}: screenings {stored.get(family.household_id)}, "
                f"answered {family.screening_id}"
            )

        # Every expected referral, once: not one active per need, one at all.
        rows = await self.referrals(families)
        counts: dict[tuple[str, str], int] = {}
        for row in rows:
            counts[(row["household_id"], row["service_type"])] = (
                counts.get((row["household_id"], row["service_type"]), 0) + 1
            )
        for family in families:
            got = {t for (h, t) in counts if h == family.household_id}
            assert got == family.expected, f"household {family.household_id}: referrals {got}"
        assert all(n == 1 for n in counts.values()), {k: n for k, n in counts.items() if n > 1}

        await self.check_beds(rows)

    async def check_beds(self, referral_rows: Sequence[asyncpg.Record] = ()) -> None:
        """Holds agree between the services, and no shelter holds more beds than it has."""
        holds = await self.query(
            "shelter",
            "SELECT id, referral_id, shelter_id, category, beds, status FROM bed_holds "
            "WHERE status IN ('held', 'confirmed')",
        )
        live = {}
        for hold in holds:
            assert hold["referral_id"] not in live, f"two live holds for {hold['referral_id']}"
            live[hold["referral_id"]] = hold
        for row in referral_rows:
            if row["service_type"] != "temporary_shelter":
                continue
            hold = live.get(row["id"])
            if row["hold_status"] in ("held", "confirmed"):
                assert hold is not None, f"referral {row['id']} holds a bed the shelter lost"
                assert hold["shelter_id"] == row["shelter_id"]
            else:
                assert hold is None, (
                    f"referral {row['id']} ({row['status']}/{row['hold_status']}) "
                    f"still keeps a bed at {hold['shelter_id']}"
                )
        for shelter_id in FAMILY_SHELTERS:
            beds = await self.family_beds(shelter_id)
            taken = sum(
                h["beds"]
                for h in holds
                if h["shelter_id"] == shelter_id
                and h["category"] == "family"
                and h["status"] == "held"
            )
            assert beds["held"] == taken, (shelter_id, beds, taken)
            assert beds["held"] + beds["occupied"] + beds["out_of_service"] <= beds["total"], (
                f"shelter {shelter_id} overbooked: {beds}"
            )
            assert beds["available"] >= 0


async def _readyz(platform: Platform, name: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"{platform.url(name)}/readyz")
        return dict(response.json())


@pytest.fixture(scope="session")
async def reliability(
    make_database: Callable[[str], Awaitable[str]],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Reliability]:
    """Broker (behind a proxy), four services and the gateway as processes, on PostgreSQL."""
    var_dir: Path = tmp_path_factory.mktemp("reliability")
    broker_port = free_port()
    proxy = TcpProxy(target_port=broker_port)
    await proxy.start()
    platform = Platform(
        var_dir=var_dir,
        ports={name: free_port() for name in DEFAULT_PORTS},
        broker_port=broker_port,
        broker_advertised=proxy.address,
        database_urls={name: await make_database(f"rel_{name}") for name in SERVICES},
        # Faster relay polling and consumer retries keep the cases short; the guarantees
        # are the same as with the defaults.
        # A request killed mid-way leaves its Idempotency-Key claimed: a short lease lets
        # the client's retry take it over soon.
        extra_env={
            "KAMKOR_OUTBOX_POLL_INTERVAL_S": "0.5",
            "KAMKOR_IDEMPOTENCY_LEASE_S": "5",
            "KAMKOR_DATABASE_POOL_SIZE": "4",
            "KAMKOR_DATABASE_MAX_OVERFLOW": "4",
            # One token drives the whole test, often faster than a person would.
            "KAMKOR_RATE_LIMIT_STAFF": "1000000/minute",
            "KAMKOR_RATE_LIMIT_PARTNER": "1000000/minute",
        },
    )
    try:
        await asyncio.to_thread(platform.start)
    except BaseException:
        await asyncio.to_thread(platform.stop)
        await proxy.stop()
        _print_logs(platform)
        raise
    worker_token = dev_token(
        "social_worker", region=REGION, districts=[DISTRICT], subject="rel-worker"
    )
    admin_token = dev_token("admin", subject="rel-admin")
    async with (
        httpx.AsyncClient(
            base_url=platform.gateway_url,
            timeout=30,
            headers={"Authorization": f"Bearer {worker_token}"},
        ) as worker,
        httpx.AsyncClient(
            base_url=platform.gateway_url,
            timeout=30,
            headers={"Authorization": f"Bearer {admin_token}"},
        ) as admin,
    ):
        running = Reliability(platform=platform, proxy=proxy, worker=worker, admin=admin)
        await running.set_family_beds({s: PLENTY for s in FAMILY_SHELTERS})
        try:
            yield running
        finally:
            await asyncio.to_thread(platform.stop)
            await proxy.stop()


def _print_logs(platform: Platform) -> None:
    for name in (*SERVICES, "gateway", "broker"):
        log = platform.log_path(name)
        if log.exists():
            print(f"--- {name} log ---\n{log.read_text()[-4000:]}")


@pytest.fixture
async def rel(reliability: Reliability) -> AsyncIterator[Reliability]:
    """The shared platform, whole again after each case: every process up, the proxy open."""
    yield reliability
    if reliability.proxy.is_cut:
        await reliability.proxy.heal()
    for name, process in list(reliability.platform.processes.items()):
        if process.poll() is not None:
            await asyncio.to_thread(reliability.platform.restart, name)
