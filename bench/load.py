"""Open-loop load through the gateway: screenings at a steady rate, five processes.

Every service runs as its own process (the `kamkor run` launcher), on PostgreSQL or on
the SQLite default. Households are registered first; then screenings are sent at a fixed
rate whatever the answers' latency (open loop), four in five for a family in financial
crisis and one in five for a family facing eviction. Once the run has settled, the
server's own timestamps give the time from flag to referral and from screening to held
bed. The same run measures the raw two-hop aiokafka latency on the same broker, the
gateway's overhead against a direct call and against nginx, and the memory of each process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.report import percentile
from kamkor_common.messaging.broker import free_port
from kamkor_common.messaging.producer import ensure_topics
from kamkor_common.reference.partners import SHELTERS
from kamkor_common.testing import admin_url, create_database, database_url, dev_token, drop_database
from kamkor_gateway.devrun import DEFAULT_PORTS, SERVICES, Platform

RATES = (20, 50, 100, 200)
DURATION_S = 30.0
HOUSING_EVERY = 5  # one screening in five is a family facing eviction
SETTLE_TIMEOUT_S = 180.0
DISTRICT = ("KG-J", "KG-J-06")

FINANCIAL = {
    "below_subsistence_minimum": True,
    "debt_arrears_months": 4,
    "lost_income_recently": True,
}
HOUSING = {"eviction_notice_days": 3, "rent_arrears_months": 3}
FINANCIAL_NEEDS = {"social_benefits", "employment_support"}
HOUSING_NEEDS = {"temporary_shelter", "legal_aid"}


def _household(n: int) -> dict[str, Any]:
    region, district = DISTRICT
    return {
        "region": region,
        "district": district,
        "settlement": "Suzak",
        "address": f"Load st. {n}",
        "language": "ky",
        "members": [
            {
                "role": "parent",
                "family_name": "Asanova",
                "given_name": f"Parent{n}",
                "sex": "female",
                "birth_date": "1990-01-01",
            },
            {
                "role": "child",
                "family_name": "Asanov",
                "given_name": f"Child{n}",
                "sex": "male",
                "birth_date": "2018-01-01",
            },
        ],
    }


@dataclass
class Sent:
    household_id: str
    housing: bool
    started: float = 0.0
    elapsed_ms: float | None = None
    status: int | None = None
    screened_at: datetime | None = None


@dataclass
class RateResult:
    rate: int
    sent: list[Sent] = field(default_factory=list)
    wall_s: float = 0.0


# --- the platform ------------------------------------------------------------------


@contextlib.asynccontextmanager
async def platform_on(kind: str) -> AsyncIterator[tuple[Platform, dict[str, str]]]:
    """A running platform on `postgresql` (throw-away databases) or `sqlite` (files)."""
    names: dict[str, str] = {}
    if kind == "postgresql":
        names = {name: await create_database(f"load_{name}") for name in SERVICES}
    var_dir = Path(tempfile.mkdtemp(prefix=f"kamkor-load-{kind}-"))
    platform = Platform(
        var_dir=var_dir,
        ports={name: free_port() for name in DEFAULT_PORTS},
        broker_port=free_port(),
        database_urls={name: database_url(db) for name, db in names.items()},
        extra_env={
            "KAMKOR_LOG_LEVEL": "WARNING",
            # The load is one token's: measured is the platform, not the rate limit.
            "KAMKOR_RATE_LIMIT_STAFF": "100000000/minute",
        },
    )
    try:
        await asyncio.to_thread(platform.start)
        yield platform, names
    finally:
        await asyncio.to_thread(platform.stop)
        for db in names.values():
            await drop_database(db)
        shutil.rmtree(var_dir, ignore_errors=True)


def _cpu_s(platform: Platform) -> dict[str, float]:
    """CPU seconds used so far by each process, PostgreSQL's backends and the broker."""
    used: dict[str, float] = {}
    for name, process in platform.processes.items():
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(process.pid).cpu_times()
            used[name] = times.user + times.system
    if platform.broker is not None and platform.broker.pid is not None:
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(platform.broker.pid).cpu_times()
            used["broker"] = times.user + times.system
    postgres = 0.0
    for proc in psutil.process_iter(["name"]):
        if (proc.info["name"] or "").startswith("postgres"):
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                postgres += times.user + times.system
    used["postgresql (all)"] = postgres
    return used


def _rss_mb(platform: Platform) -> dict[str, float]:
    sizes = {}
    for name, process in platform.processes.items():
        with contextlib.suppress(psutil.Error):
            sizes[name] = round(psutil.Process(process.pid).memory_info().rss / 2**20, 1)
    return sizes


async def _sample_rss(platform: Platform, peak: dict[str, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for name, mb in _rss_mb(platform).items():
            peak[name] = max(peak.get(name, 0.0), mb)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


# --- load ---------------------------------------------------------------------------


async def _prepare(api: httpx.AsyncClient, admin: str, households: int) -> list[str]:
    """Beds for every housing family, then the households, registered 16 at a time."""
    for shelter in SHELTERS:
        for category in ("family", "mother_child"):
            response = await api.put(
                f"/api/v1/shelters/{shelter.id}/categories/{category}",
                json={"total": 10_000},  # the most a category may have
                headers={"Authorization": f"Bearer {admin}"},
            )
            response.raise_for_status()
    ids: list[str] = [""] * households
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(households):
        queue.put_nowait(n)

    async def register() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            for _ in range(5):
                response = await api.post("/api/v1/registry/households", json=_household(n))
                if response.status_code == 201:
                    ids[n] = response.json()["id"]
                    break
                await asyncio.sleep(0.5)
            else:
                response.raise_for_status()

    await asyncio.gather(*(register() for _ in range(16)))
    return ids


# Requests in flight at once. More wait in this process, their clock already running:
# httpx's pool scans every waiting request on each change, which at a few thousand
# waiting made the load generator itself the busiest process.
IN_FLIGHT = 256


async def _screen(api: httpx.AsyncClient, sent: Sent, slots: asyncio.Semaphore) -> None:
    answers = HOUSING if sent.housing else FINANCIAL
    sent.started = time.perf_counter()
    try:
        async with slots:
            response = await api.post(
                "/api/v1/risk/screenings",
                json={"household_id": sent.household_id, "answers": answers},
            )
    except httpx.HTTPError:
        sent.status = 0
        return
    finally:
        sent.elapsed_ms = (time.perf_counter() - sent.started) * 1000
    sent.status = response.status_code
    if response.status_code == 201:
        sent.screened_at = datetime.fromisoformat(response.json()["created_at"])


async def _open_loop(
    api: httpx.AsyncClient, households: Sequence[str], rate: int, duration_s: float, offset: int
) -> RateResult:
    """Send `rate` screenings a second for `duration_s`, each on schedule, never waiting."""
    result = RateResult(rate=rate)
    slots = asyncio.Semaphore(IN_FLIGHT)
    count = int(rate * duration_s)
    tasks = []
    start = time.perf_counter()
    for i in range(count):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent = Sent(household_id=households[i], housing=(offset + i) % HOUSING_EVERY == 0)
        result.sent.append(sent)
        tasks.append(asyncio.create_task(_screen(api, sent, slots)))
    await asyncio.gather(*tasks)
    result.wall_s = time.perf_counter() - start
    return result


# --- what the servers recorded -------------------------------------------------------

REFERRALS_SQL = (
    "SELECT household_id, service_type, created_at, hold_status, updated_at FROM referrals"
)


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def _referrals(platform: Platform, names: dict[str, str]) -> list[tuple[Any, ...]]:
    if names:
        base = admin_url().rsplit("/", 1)[0]
        conn = await asyncpg.connect(f"{base}/{names['referral']}")
        try:
            return [tuple(r) for r in await conn.fetch(REFERRALS_SQL)]
        finally:
            await conn.close()
    path = platform.var_dir / "referral.db"

    def read() -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
            return list(conn.execute(REFERRALS_SQL).fetchall())

    return await asyncio.to_thread(read)


async def _settle(
    platform: Platform, names: dict[str, str], results: Sequence[RateResult]
) -> tuple[dict[str, dict[str, tuple[datetime, str | None, datetime]]], float]:
    """Wait until every answered screening has its referrals (and held beds); read them."""
    expected: dict[str, set[str]] = {}
    for result in results:
        for sent in result.sent:
            if sent.status == 201:
                expected[sent.household_id] = HOUSING_NEEDS if sent.housing else FINANCIAL_NEEDS
    started = time.perf_counter()
    by_household: dict[str, dict[str, tuple[datetime, str | None, datetime]]] = {}
    while True:
        by_household = {}
        for household_id, service_type, created, hold, updated in await _referrals(platform, names):
            by_household.setdefault(household_id, {})[service_type] = (
                _parse_time(created),
                hold,
                _parse_time(updated),
            )
        missing = [
            h
            for h, needs in expected.items()
            if not needs <= set(by_household.get(h, {}))
            or (
                "temporary_shelter" in needs
                and by_household[h]["temporary_shelter"][1] not in ("held", "rejected")
            )
        ]
        if not missing or time.perf_counter() - started > SETTLE_TIMEOUT_S:
            return by_household, len(missing)
        await asyncio.sleep(1.0)


def _summarise(
    result: RateResult, referrals: dict[str, dict[str, tuple[datetime, str | None, datetime]]]
) -> dict[str, Any]:
    ok = [s for s in result.sent if s.status == 201]
    http_ms = [s.elapsed_ms for s in result.sent if s.elapsed_ms is not None]
    flag_to_referral: list[float] = []
    to_held_bed: list[float] = []
    missing = 0
    for sent in ok:
        assert sent.screened_at is not None
        found = referrals.get(sent.household_id, {})
        needs = HOUSING_NEEDS if sent.housing else FINANCIAL_NEEDS
        if not needs <= set(found):
            missing += 1
            continue
        first = min(found[need][0] for need in needs)
        flag_to_referral.append((first - sent.screened_at).total_seconds() * 1000)
        if sent.housing:
            _created, hold, updated = found["temporary_shelter"]
            if hold == "held":
                to_held_bed.append((updated - sent.screened_at).total_seconds() * 1000)
    return {
        "rate_per_s": result.rate,
        "sent": len(result.sent),
        "achieved_per_s": round(len(result.sent) / result.wall_s, 1),
        "errors": len(result.sent) - len(ok),
        "http_ms_p50": round(percentile(http_ms, 0.5), 1),
        "http_ms_p99": round(percentile(http_ms, 0.99), 1),
        "flag_to_referral_ms_p50": round(percentile(flag_to_referral, 0.5), 1),
        "flag_to_referral_ms_p99": round(percentile(flag_to_referral, 0.99), 1),
        "screening_to_held_bed_ms_p50": round(percentile(to_held_bed, 0.5), 1),
        "screening_to_held_bed_ms_p99": round(percentile(to_held_bed, 0.99), 1),
        "referrals_missing": missing,
        "_http_ms": http_ms,
        "_flag_to_referral_ms": flag_to_referral,
    }


# --- the raw broker: two hops with aiokafka alone -------------------------------------


async def raw_two_hop(bootstrap: str, count: int = 300, rate: int = 50) -> dict[str, float]:
    """produce → consume → produce → consume on the same broker, nothing else in the way."""
    first, second = f"bench.hop1.{time.time_ns()}", f"bench.hop2.{time.time_ns()}"
    await ensure_topics(bootstrap, {first: 4, second: 4})
    common = {"bootstrap_servers": bootstrap}
    consumer_options = {
        **common,
        "auto_offset_reset": "earliest",
        "fetch_max_wait_ms": 20,
        "session_timeout_ms": 6000,
        "request_timeout_ms": 40000,
        "enable_auto_commit": False,
    }
    producer = AIOKafkaProducer(**common, acks="all", linger_ms=0)
    hop1 = AIOKafkaConsumer(first, group_id=f"hop1-{time.time_ns()}", **consumer_options)
    hop2 = AIOKafkaConsumer(second, group_id=f"hop2-{time.time_ns()}", **consumer_options)
    await producer.start()
    await hop1.start()
    await hop2.start()
    latencies: list[float] = []
    done = asyncio.Event()

    async def relay() -> None:
        async for record in hop1:
            await producer.send_and_wait(second, record.value, key=record.key)

    async def sink() -> None:
        async for record in hop2:
            latencies.append((time.perf_counter() - float(record.value or b"0")) * 1000)
            if len(latencies) == count:
                done.set()

    tasks = [asyncio.create_task(relay()), asyncio.create_task(sink())]
    try:
        await asyncio.sleep(2)  # both groups joined and assigned
        for n in range(count):
            key = f"household-{n % 16}".encode()
            await producer.send_and_wait(first, str(time.perf_counter()).encode(), key=key)
            await asyncio.sleep(1 / rate)
        await asyncio.wait_for(done.wait(), 60)
    finally:
        for task in tasks:
            task.cancel()
        for client in (hop1, hop2, producer):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.stop(), 10)
    return {
        "messages": count,
        "latency_ms_p50": round(percentile(latencies, 0.5), 1),
        "latency_ms_p99": round(percentile(latencies, 0.99), 1),
    }


# --- gateway overhead -----------------------------------------------------------------

NGINX_CONF = """
worker_processes 1;
error_log {dir}/error.log warn;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  upstream risk {{ server 127.0.0.1:{upstream}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://risk;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"""


@contextlib.contextmanager
def nginx_in_front(upstream_port: int) -> Any:
    """nginx proxying to a service, or None where nginx is not installed."""
    # Debian puts it in /usr/sbin, which is not on every PATH.
    binary = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if binary is None:
        yield None
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="kamkor-nginx-") as tmp:
        conf = Path(tmp) / "nginx.conf"
        conf.write_text(NGINX_CONF.format(dir=tmp, port=port, upstream=upstream_port))
        process = subprocess.Popen(
            [binary, "-c", str(conf), "-p", tmp, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.HTTPError):
                    httpx.get(f"http://127.0.0.1:{port}/livez", timeout=1)
                    break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


async def _closed_loop(
    base_url: str, path: str, token: str, requests: int, concurrency: int
) -> dict[str, float]:
    latencies: list[float] = []
    remaining = requests
    async with httpx.AsyncClient(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        for _ in range(20):  # warm the connections
            (await client.get(path)).raise_for_status()

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {
        "requests_per_s": round(requests / elapsed, 1),
        "latency_ms_p50": round(percentile(latencies, 0.5), 2),
        "latency_ms_p99": round(percentile(latencies, 0.99), 2),
    }


async def gateway_overhead(platform: Platform, household_id: str, token: str) -> dict[str, Any]:
    """The same read straight to the risk service, through the gateway, and through nginx."""
    path = f"/api/v1/risk/flags?household_id={household_id}"
    rows: dict[str, Any] = {}
    for concurrency in (1, 8):
        direct = await _closed_loop(platform.url("risk"), path, token, 1000, concurrency)
        gateway = await _closed_loop(platform.gateway_url, path, token, 1000, concurrency)
        row: dict[str, Any] = {
            "direct_p50_ms": direct["latency_ms_p50"],
            "gateway_p50_ms": gateway["latency_ms_p50"],
            "direct_per_s": direct["requests_per_s"],
            "gateway_per_s": gateway["requests_per_s"],
            "gateway_over_direct": round(gateway["latency_ms_p50"] / direct["latency_ms_p50"], 2),
            "nginx_p50_ms": "not installed",
            "nginx_per_s": "not installed",
            "nginx_over_direct": "not installed",
        }
        with nginx_in_front(platform.ports["risk"]) as nginx_url:
            if nginx_url is not None:
                nginx = await _closed_loop(nginx_url, path, token, 1000, concurrency)
                row["nginx_p50_ms"] = nginx["latency_ms_p50"]
                row["nginx_per_s"] = nginx["requests_per_s"]
                row["nginx_over_direct"] = round(
                    nginx["latency_ms_p50"] / direct["latency_ms_p50"], 2
                )
        rows[f"concurrency_{concurrency}"] = row
    return rows


# --- one database kind ----------------------------------------------------------------


async def run_kind(
    kind: str, rates: Sequence[int] = RATES, duration_s: float = DURATION_S
) -> dict[str, Any]:
    """All rates on one database kind, with memory, raw broker and gateway figures."""
    worker = dev_token("social_worker", region=DISTRICT[0], districts=[DISTRICT[1]])
    admin = dev_token("admin")
    total = sum(int(rate * duration_s) for rate in rates)
    async with platform_on(kind) as (platform, names):
        idle = _rss_mb(platform)
        limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
        async with httpx.AsyncClient(
            base_url=platform.gateway_url,
            timeout=60,
            limits=limits,
            headers={"Authorization": f"Bearer {worker}"},
        ) as api:
            households = await _prepare(api, admin, total)
            peak: dict[str, float] = {}
            stop = asyncio.Event()
            sampler = asyncio.create_task(_sample_rss(platform, peak, stop))
            results = []
            offset = 0
            cpu_ms: list[dict[str, float]] = []
            for rate in rates:
                count = int(rate * duration_s)
                before = _cpu_s(platform)
                results.append(
                    await _open_loop(
                        api, households[offset : offset + count], rate, duration_s, offset
                    )
                )
                await asyncio.sleep(3)  # let the tail drain before the next rate
                after = _cpu_s(platform)
                cpu_ms.append(
                    {
                        k: round(1000 * (after[k] - before[k]) / count, 1)
                        for k in before
                        if k in after
                    }
                )
                offset += count
            referrals, unsettled = await _settle(platform, names, results)
            stop.set()
            await sampler
        assert platform.broker is not None
        raw = await raw_two_hop(platform.broker.bootstrap)
        overhead = await gateway_overhead(platform, households[0], worker)
    rows = [_summarise(result, referrals) for result in results]
    for row, cpu in zip(rows, cpu_ms, strict=True):
        row["cpu_ms_per_screening"] = cpu
    return {
        "rates": rows,
        "unsettled_households": unsettled,
        "raw_two_hop": raw,
        "gateway_overhead": overhead,
        "rss_mb_idle": idle,
        "rss_mb_loaded_peak": peak,
    }


def sustained_rate(rows: Sequence[dict[str, Any]]) -> int | None:
    """The highest rate whose answers and referrals all came within 1 s at p99, with no errors."""
    best = None
    for row in rows:
        if (
            row["errors"] == 0
            and row["referrals_missing"] == 0
            and row["http_ms_p99"] < 1000
            and row["flag_to_referral_ms_p99"] < 1000
        ):
            best = row["rate_per_s"]
    return best


# --- the report -------------------------------------------------------------------------


def _plot(results: dict[str, dict[str, Any]], path: Path) -> None:
    """Latency against rate (p50 and p99, log scale) for each database kind."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for axis, (metric, title) in zip(
        axes,
        (
            ("http_ms", "Screening answer (HTTP, client side)"),
            ("flag_to_referral_ms", "Flag → referral (server timestamps)"),
        ),
        strict=True,
    ):
        for kind, result in results.items():
            rates = [row["rate_per_s"] for row in result["rates"]]
            for q, style in (("p50", "-o"), ("p99", "--s")):
                axis.plot(
                    rates,
                    [row[f"{metric}_{q}"] for row in result["rates"]],
                    style,
                    label=f"{kind} {q}",
                )
        axis.axhline(1000, color="grey", linewidth=0.8, linestyle=":")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(list(RATES), [str(r) for r in RATES])
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_xlabel("screenings per second (open loop)")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("ms")
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _plot_cpu(results: dict[str, dict[str, Any]], path: Path) -> None:
    """CPU milliseconds each process spends per screening, at the lowest rate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axis = plt.subplots(figsize=(8, 4))
    kinds = list(results)
    names = list(results[kinds[0]]["rates"][0]["cpu_ms_per_screening"])
    width = 0.8 / len(kinds)
    for i, kind in enumerate(kinds):
        cpu = results[kind]["rates"][0]["cpu_ms_per_screening"]
        axis.bar(
            [n + i * width for n in range(len(names))],
            [cpu.get(name, 0) for name in names],
            width,
            label=kind,
        )
    axis.set_xticks(
        [n + width * (len(kinds) - 1) / 2 for n in range(len(names))], names, rotation=20
    )
    axis.set_ylabel("CPU ms per screening")
    axis.set_title(
        f"Where the CPU goes, at {results[kinds[0]]['rates'][0]['rate_per_s']} screenings/s"
    )
    axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def report(results: dict[str, dict[str, Any]], reports: Path) -> dict[str, Any]:
    """The figures as one JSON-able dict, with plots written beside it."""
    _plot(results, reports / "load_latency.png")
    _plot_cpu(results, reports / "load_cpu.png")
    summary: dict[str, Any] = {}
    for kind, result in results.items():
        rows = [{k: v for k, v in row.items() if not k.startswith("_")} for row in result["rates"]]
        raw_p50 = result["raw_two_hop"]["latency_ms_p50"]
        summary[kind] = {
            "sustained_rate_per_s": sustained_rate(rows),
            "rates": rows,
            "flag_to_referral_p50_over_raw_two_hop_p50": [
                round(row["flag_to_referral_ms_p50"] / raw_p50, 1) if raw_p50 else None
                for row in rows
            ],
            "unsettled_households": result["unsettled_households"],
            "raw_two_hop": result["raw_two_hop"],
            "gateway_overhead": result["gateway_overhead"],
            "rss_mb_idle": result["rss_mb_idle"],
            "rss_mb_loaded_peak": result["rss_mb_loaded_peak"],
        }
    return summary


async def run(
    kinds: Sequence[str] = ("postgresql", "sqlite"),
    rates: Sequence[int] = RATES,
    duration_s: float = DURATION_S,
) -> dict[str, dict[str, Any]]:
    return {kind: await run_kind(kind, rates, duration_s) for kind in kinds}


TABLE_COLUMNS = (
    "achieved_per_s",
    "errors",
    "http_ms_p50",
    "http_ms_p99",
    "flag_to_referral_ms_p50",
    "flag_to_referral_ms_p99",
    "screening_to_held_bed_ms_p50",
    "screening_to_held_bed_ms_p99",
    "referrals_missing",
)


def table(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """One row per database kind and rate, for the report's table."""
    rows: dict[str, dict[str, Any]] = {}
    for kind, result in summary.items():
        for row in result["rates"]:
            rows[f"{kind} {row['rate_per_s']}/s"] = {c: row[c] for c in TABLE_COLUMNS}
    return rows


def notes(summary: dict[str, Any]) -> str:
    """The figures that are not per rate: sustained rate, broker, gateway, CPU, memory."""
    lines = ["![latency against rate](load_latency.png)", "", "![CPU per screening](load_cpu.png)"]
    for kind, result in summary.items():
        raw = result["raw_two_hop"]
        lines += [
            "",
            f"## {kind}",
            "",
            f"- Highest rate sustained with p99 under 1 s, no errors, nothing missing: "
            f"**{result['sustained_rate_per_s'] or 'none of the rates tried'}**"
            f"{'/s' if result['sustained_rate_per_s'] else ''}.",
            f"- Raw aiokafka two hops on the same broker: p50 {raw['latency_ms_p50']} ms, "
            f"p99 {raw['latency_ms_p99']} ms; flag → referral p50 over it, by rate: "
            f"{result['flag_to_referral_p50_over_raw_two_hop_p50']}.",
            f"- Households whose referrals had not all arrived {SETTLE_TIMEOUT_S:.0f} s after "
            f"the last screening: {result['unsettled_households']}.",
            "- CPU ms per screening, by process and rate: "
            + "; ".join(
                f"{row['rate_per_s']}/s: "
                + ", ".join(f"{k} {v}" for k, v in row["cpu_ms_per_screening"].items())
                for row in result["rates"]
            )
            + ".",
            f"- Resident memory (MB), idle: {result['rss_mb_idle']}; loaded peak: "
            f"{result['rss_mb_loaded_peak']}.",
            "",
            "| gateway overhead | direct p50 ms | gateway p50 ms | gateway/direct | "
            "nginx p50 ms | nginx/direct | direct/s | gateway/s | nginx/s |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for label, row in result["gateway_overhead"].items():
            lines.append(
                f"| {label} | {row['direct_p50_ms']} | {row['gateway_p50_ms']} | "
                f"{row['gateway_over_direct']} | {row['nginx_p50_ms']} | "
                f"{row['nginx_over_direct']} | {row['direct_per_s']} | {row['gateway_per_s']} | "
                f"{row['nginx_per_s']} |"
            )
    return "\n".join(lines)
