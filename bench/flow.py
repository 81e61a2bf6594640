"""The core path on real processes: screening → family flagged → referral → held bed.

Starts the embedded broker, the four services and the gateway (PostgreSQL databases of
its own), screens families facing eviction one after another, and times each from the
screening's answer to the moment the referral shows the bed as held.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from kamkor_common.messaging.broker import free_port
from kamkor_common.testing import create_database, database_url, dev_token, drop_database
from kamkor_gateway.devrun import DEFAULT_PORTS, SERVICES, Platform

FAMILIES = 15  # the seeded shelters have 19 family beds
HOUSEHOLD: dict[str, Any] = {
    "region": "KG-J",
    "district": "KG-J-06",
    "settlement": "Suzak",
    "address": "-",
    "language": "ky",
    "members": [
        {
            "role": "parent",
            "family_name": "Test",
            "given_name": "Parent",
            "sex": "female",
            "birth_date": "1990-01-01",
        },
        {
            "role": "child",
            "family_name": "Test",
            "given_name": "Child",
            "sex": "male",
            "birth_date": "2018-01-01",
        },
    ],
}


async def _one_family(api: httpx.AsyncClient) -> float:
    created = await api.post("/api/v1/registry/households", json=HOUSEHOLD)
    created.raise_for_status()
    household_id = created.json()["id"]
    screening = await api.post(
        "/api/v1/risk/screenings",
        json={"household_id": household_id, "answers": {"eviction_notice_days": 3}},
    )
    screening.raise_for_status()
    started = time.perf_counter()
    while time.perf_counter() - started < 30:
        response = await api.get("/api/v1/referrals", params={"household_id": household_id})
        for referral in response.json()["items"]:
            if (
                referral["service_type"] == "temporary_shelter"
                and referral["hold_status"] == "held"
            ):
                return (time.perf_counter() - started) * 1000
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no held bed for household {household_id}")


async def run() -> dict[str, Any]:
    names = {name: await create_database(f"bench_{name}") for name in SERVICES}
    platform = Platform(
        var_dir=Path(tempfile.mkdtemp(prefix="kamkor-bench-")),
        ports={name: free_port() for name in DEFAULT_PORTS},
        broker_port=free_port(),
        database_urls={name: database_url(db) for name, db in names.items()},
    )
    try:
        await asyncio.to_thread(platform.start)
        token = dev_token("social_worker", region="KG-J", districts=["KG-J-06"])
        async with httpx.AsyncClient(
            base_url=platform.gateway_url,
            timeout=15,
            headers={"Authorization": f"Bearer {token}"},
        ) as api:
            await _one_family(api)  # warm-up: connections, caches
            timings = [await _one_family(api) for _ in range(FAMILIES - 1)]
    finally:
        await asyncio.to_thread(platform.stop)
        for db in names.values():
            await drop_database(db)
    ordered = sorted(timings)
    return {
        "families": len(timings),
        "screening_to_held_bed_ms_p50": round(statistics.median(timings), 1),
        "screening_to_held_bed_ms_p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "screening_to_held_bed_ms_max": round(max(timings), 1),
        "polling_interval_ms": 10,
    }
