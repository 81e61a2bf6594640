"""What every Kamkor service process runs: its API and its workers, with one lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common import health, idempotency, logs, metrics, telemetry
from kamkor_common.auth import verifier_from_settings
from kamkor_common.db import Database, migrate, utcnow
from kamkor_common.errors import install_error_handlers
from kamkor_common.idempotency import IdempotencyMiddleware
from kamkor_common.issuer import embedded_issuer_or_none
from kamkor_common.messaging import inbox, outbox
from kamkor_common.messaging.consumer import ConsumerSpec, EventConsumer
from kamkor_common.messaging.outbox import OutboxRelay
from kamkor_common.messaging.producer import Producer, ensure_topics
from kamkor_common.settings import KamkorSettings

log = logging.getLogger("kamkor.service")

Seeder = Callable[[Database], Awaitable[None]]


@dataclass(frozen=True)
class Timer:
    """Periodic work of a service's worker, each run in its own transaction."""

    name: str
    interval_s: float
    run: Callable[[AsyncSession], Awaitable[object]]


class ServiceRuntime:
    """The database, producer, outbox relay and consumers of one service process."""

    def __init__(
        self,
        *,
        name: str,
        settings: KamkorSettings,
        consumers: Sequence[ConsumerSpec] = (),
        timers: Sequence[Timer] = (),
    ) -> None:
        self.name = name
        self.settings = settings
        self.database = Database(
            settings.DATABASE_URL,
            pool_size=settings.DATABASE_POOL_SIZE,
            max_overflow=settings.DATABASE_MAX_OVERFLOW,
        )
        telemetry.instrument_engine(self.database.engine)
        self.producer = Producer(settings)
        self.relay = OutboxRelay(
            sessionmaker=self.database.sessionmaker,
            producer=self.producer,
            poll_interval_s=settings.OUTBOX_POLL_INTERVAL_S,
            batch_size=settings.OUTBOX_BATCH_SIZE,
            retention=timedelta(days=settings.OUTBOX_RETENTION_DAYS),
        )
        self.timers = [
            *timers,
            Timer("retention", 3600, self._purge_expired),
            Timer("outbox-gauges", settings.METRICS_INTERVAL_S, self._measure_outbox),
        ]
        self._stopping = asyncio.Event()
        self.consumers = [
            EventConsumer(
                spec=spec,
                settings=settings,
                sessionmaker=self.database.sessionmaker,
                producer=self.producer,
            )
            for spec in consumers
        ]
        self.workers_enabled = settings.ROLE in ("worker", "all")
        self.topics_ready = False
        self._tasks: list[asyncio.Task[None]] = []

    async def start_workers(self) -> None:
        self._tasks.append(asyncio.create_task(self._start_workers(), name=f"{self.name}-workers"))
        for timer in self.timers:
            self._tasks.append(
                asyncio.create_task(self._run_timer(timer), name=f"{self.name}-{timer.name}")
            )

    async def _purge_expired(self, session: AsyncSession) -> None:
        """Forget sent outbox rows, inbox rows and idempotency keys past their retention."""
        now = utcnow()
        await self.relay.purge_sent(session)
        await inbox.purge(
            session, older_than=now - timedelta(days=self.settings.INBOX_RETENTION_DAYS)
        )
        await idempotency.purge(
            session, older_than=now - timedelta(hours=self.settings.IDEMPOTENCY_RETENTION_HOURS)
        )

    async def _measure_outbox(self, session: AsyncSession) -> None:
        count, oldest = await outbox.backlog_and_oldest(session)
        age = 0.0 if oldest is None else max((utcnow() - oldest).total_seconds(), 0.0)
        metrics.outbox_backlog.set(count, service=self.name)
        metrics.outbox_oldest_age.set(age, service=self.name)

    async def _run_timer(self, timer: Timer) -> None:
        while not await self._sleep_or_stop(timer.interval_s):
            try:
                async with self.database.sessionmaker() as session, session.begin():
                    await timer.run(session)
            except Exception:  # one failed run must not end the timer
                log.exception("timer %s failed; next run in %.0f s", timer.name, timer.interval_s)

    async def _sleep_or_stop(self, seconds: float) -> bool:
        """Sleep, waking early when the service stops; True when it is stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    async def _start_workers(self) -> None:
        delay = 0.5
        while True:
            try:
                await ensure_topics(self.settings.KAFKA_BOOTSTRAP_SERVERS)
                break
            except Exception as exc:
                log.warning("broker not reachable yet (%s); retrying", exc)
                if await self._sleep_or_stop(delay):
                    return
                delay = min(delay * 2, 5)
        if self._stopping.is_set():
            return
        self.topics_ready = True
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.name}-outbox"))
        for consumer in self.consumers:
            self._tasks.append(
                asyncio.create_task(consumer.run(), name=f"{self.name}-{consumer.spec.group_id}")
            )

    async def stop(self) -> None:
        """Stop taking work, let the current events finish, then leave the broker."""
        self._stopping.set()
        self.relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
            for task in [t for t in self._tasks if not t.done()]:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        for consumer in self.consumers:
            await consumer.close()
        await self.producer.stop()
        await self.database.dispose()


def create_service_app(
    *,
    name: str,
    title: str,
    settings: KamkorSettings,
    routers: Sequence[APIRouter],
    migrations: Path,
    consumers: Sequence[ConsumerSpec] = (),
    timers: Sequence[Timer] = (),
    seed: Seeder | None = None,
    description: str = "",
) -> FastAPI:
    """Build a service's FastAPI app: errors, health, auth, telemetry, workers."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logs.setup(name, settings.LOG_LEVEL, settings.LOG_FORMAT)
        runtime = ServiceRuntime(name=name, settings=settings, consumers=consumers, timers=timers)
        app.state.runtime = runtime
        app.state.database = runtime.database
        if settings.MIGRATE_ON_START:
            await migrate(runtime.database.engine, migrations)
        if settings.SEED_REFERENCE_DATA and seed is not None:
            await seed(runtime.database)
        if runtime.workers_enabled:
            await runtime.start_workers()
        log.info("%s started (role %s)", name, settings.ROLE)
        try:
            yield
        finally:
            await runtime.stop()
            telemetry.shutdown()

    telemetry.setup(name, settings.OTLP_ENDPOINT)
    app = FastAPI(
        title=title,
        description=description,
        version="0.1.0",
        lifespan=lifespan,
        dependencies=[Depends(telemetry.tag_request)],
    )
    app.state.settings = settings
    app.state.token_verifier = verifier_from_settings(settings)
    # Tokens a service signs for its own calls (the referral service's registry reads):
    # the embedded issuer's outside prod; in prod they come from the client-credentials
    # grant (`kamkor_common.tokens`), or there are none.
    app.state.token_issuer = embedded_issuer_or_none(settings)
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in routers:
        app.include_router(router)
    telemetry.instrument_app(app)
    return app
