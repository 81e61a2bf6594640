"""Metrics: gauges set by workers, the Prometheus page, the outbox gauges of a runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from kamkor_common import metrics
from kamkor_common.db import Database
from kamkor_common.events.envelope import new_event
from kamkor_common.events.schemas.referral import ReferralChanged
from kamkor_common.messaging.outbox import add_event
from kamkor_common.service import ServiceRuntime
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import create_messaging_tables, running_app, wait_until


def samples(name: str, page: str | None = None) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric as Prometheus reads them from a page (this process's)."""
    page = page if page is not None else generate_latest(REGISTRY).decode()
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == name
    ]


class TestGauge:
    def test_replace_zeroes_the_series_a_new_reading_lacks_and_keeps_other_services(
        self,
    ) -> None:
        gauge = metrics.referrals
        gauge.replace([({"status": "requested"}, 3), ({"status": "accepted"}, 2)], service="a")
        gauge.replace([({"status": "requested"}, 7)], service="b")
        gauge.replace([({"status": "requested"}, 1)], service="a")

        assert gauge.value(status="requested", service="a") == 1
        assert gauge.value(status="accepted", service="a") == 0
        assert gauge.value(status="requested", service="b") == 7

    def test_a_gauge_shows_on_the_prometheus_page_with_its_unit(self) -> None:
        metrics.setup("test")
        metrics.outbox_oldest_age.set(12.5, service="gauge-page")

        shown = samples("kamkor_outbox_oldest_age_seconds")

        assert ({"service": "gauge-page"}, 12.5) in [
            ({k: v for k, v in labels.items() if k == "service"}, value) for labels, value in shown
        ]


# A service process of its own: each Kamkor service runs alone in its process, and the
# instrumentation's state left by the many apps of a test process would blur the page.
SERVICE_PROCESS = """
import asyncio, sys
from pathlib import Path
from fastapi import APIRouter
from kamkor_common.service import create_service_app
from kamkor_common.settings import KamkorSettings
from kamkor_common.testing import running_app

router = APIRouter()

@router.get("/things/{thing_id}")
async def get_thing(thing_id: str) -> dict[str, str]:
    return {"id": thing_id}

async def main() -> None:
    settings = KamkorSettings(
        DATABASE_URL="sqlite+aiosqlite:///" + sys.argv[1], ROLE="api", MIGRATE_ON_START=False
    )
    app = create_service_app(
        name="metrics-test", title="t", settings=settings, routers=[router],
        migrations=Path(sys.argv[1]).parent,
    )
    async with running_app(app) as client:
        for n in range(3):
            assert (await client.get(f"/things/{n}")).status_code == 200
        page = await client.get("/metrics")
    print(page.headers["content-type"])
    print(page.text)

asyncio.run(main())
"""


class TestServiceMetrics:
    def test_requests_are_counted_by_route_template_on_the_metrics_page(
        self, tmp_path: Path
    ) -> None:
        done = subprocess.run(
            [sys.executable, "-c", SERVICE_PROCESS, str(tmp_path / "metrics.db")],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "KAMKOR_LOG_LEVEL": "WARNING"},
        )
        assert done.returncode == 0, done.stderr[-2000:]
        content_type, _, page = done.stdout.partition("\n")

        assert content_type.startswith("text/plain")
        counts = [
            value
            for labels, value in samples("http_server_request_duration_seconds_count", page)
            if labels.get("http_route") == "/things/{thing_id}"
            and labels.get("http_response_status_code") == "200"
        ]
        assert counts == [3.0]
        # One series per route, never one per id: the page must not grow with the data.
        assert "/things/1" not in page

    async def test_the_worker_reports_the_outbox_backlog_and_its_oldest_row(
        self, tmp_path: Path
    ) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path}/outbox.db"
        database = Database(url)
        await create_messaging_tables(database)
        async with database.sessionmaker() as session, session.begin():
            for n in range(2):
                event = new_event(
                    source="/test",
                    type="kamkor.test.thing.changed.v1",
                    key=f"k{n}",
                    data=ReferralChanged(
                        referral_id=f"r{n}",
                        household_id="h",
                        service_type="legal_aid",
                        priority="routine",
                        status="requested",
                    ),
                )
                add_event(session, "test.things.v1", event)
        await database.dispose()
        settings = KamkorSettings(
            DATABASE_URL=url,
            KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",  # no broker: the rows stay unsent
            METRICS_INTERVAL_S=0.05,
        )
        runtime = ServiceRuntime(name="backlog-test", settings=settings)
        await runtime.start_workers()
        try:

            async def measured() -> bool:
                return metrics.outbox_backlog.value(service="backlog-test") == 2

            await wait_until(measured, timeout_s=10)
            age = metrics.outbox_oldest_age.value(service="backlog-test")
            assert age is not None and 0 <= age < 60
        finally:
            await runtime.stop()


async def test_the_gateway_serves_its_metrics_too() -> None:
    from kamkor_gateway.main import create_app

    async with running_app(create_app()) as client:
        page = await client.get("/metrics")
    assert page.status_code == 200
    assert "target_info" in page.text
