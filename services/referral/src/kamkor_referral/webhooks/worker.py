"""The delivery worker: posts due deliveries, signed, and records what came back."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kamkor_common import metrics
from kamkor_common.db import utcnow
from kamkor_common.service import Timer
from kamkor_referral.config import ReferralSettings
from kamkor_referral.webhooks import repository
from kamkor_referral.webhooks import service as webhook_service
from kamkor_referral.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
)
from kamkor_referral.webhooks.signing import SecretBox, headers

log = logging.getLogger("kamkor.referral.webhooks")

MAX_ERROR = 500


@dataclass(frozen=True)
class Outcome:
    """What one POST came to: an HTTP status, or the error that kept it from one."""

    status_code: int | None
    duration_ms: int
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Job:
    """A claimed delivery with what it takes to send it, read before the HTTP call."""

    delivery_id: str
    url: str
    headers: dict[str, str]
    body: str


def timers(settings: ReferralSettings) -> list[Timer]:
    """The delivery loop, and an hourly purge of deliveries past their retention."""

    async def purge(session: AsyncSession) -> None:
        cutoff = utcnow() - timedelta(days=settings.WEBHOOK_RETENTION_DAYS)
        await repository.purge_finished(session, older_than=cutoff)

    return [timer(settings), Timer("webhook-retention", 3600, purge)]


def timer(settings: ReferralSettings) -> Timer:
    """The worker's delivery loop, run every `KAMKOR_WEBHOOK_POLL_INTERVAL_S`."""

    async def deliver(session: AsyncSession) -> None:
        # The timer's own transaction is left unused: each claim and each result gets a
        # short transaction of its own, so no connection is held while a partner answers.
        if session.bind is None:
            return
        sessionmaker = async_sessionmaker(session.bind, expire_on_commit=False)
        await deliver_due(sessionmaker=sessionmaker, settings=settings)

    return Timer("webhooks", settings.WEBHOOK_POLL_INTERVAL_S, deliver)


async def deliver_due(
    *, sessionmaker: async_sessionmaker[AsyncSession], settings: ReferralSettings
) -> int:
    """Send every delivery due now, a batch at a time; the number of attempts made."""
    made = 0
    async with httpx.AsyncClient(
        timeout=settings.WEBHOOK_TIMEOUT_S, follow_redirects=False
    ) as client:
        slots = asyncio.Semaphore(max(1, settings.WEBHOOK_CONCURRENCY))

        async def run(job: Job) -> None:
            async with slots:
                outcome = await post(client, job)
            async with sessionmaker() as session, session.begin():
                await record(
                    session=session,
                    delivery_id=job.delivery_id,
                    outcome=outcome,
                    settings=settings,
                    now=utcnow(),
                )

        while True:
            jobs = await _claim(sessionmaker, settings)
            if not jobs:
                return made
            await asyncio.gather(*(run(job) for job in jobs))
            made += len(jobs)
            if len(jobs) < settings.WEBHOOK_BATCH_SIZE:
                return made


async def _claim(
    sessionmaker: async_sessionmaker[AsyncSession], settings: ReferralSettings
) -> list[Job]:
    now = utcnow()
    box = SecretBox(settings.WEBHOOK_SECRETS_KEY)
    async with sessionmaker() as session, session.begin():
        claimed = await repository.claim_due(
            session,
            now=now,
            hold_until=now + timedelta(seconds=settings.WEBHOOK_CLAIM_S),
            limit=settings.WEBHOOK_BATCH_SIZE,
        )
        endpoints = await repository.endpoints_by_id(session, {d.endpoint_id for d in claimed})
        jobs = []
        for delivery in claimed:
            endpoint = endpoints[delivery.endpoint_id]
            signing = webhook_service.secrets_in_force(endpoint, box=box, now=now)
            jobs.append(
                Job(
                    delivery_id=delivery.id,
                    url=endpoint.url,
                    headers=headers(
                        secrets_in_force=signing,
                        message_id=delivery.id,
                        timestamp=now,
                        body=delivery.payload,
                    ),
                    body=delivery.payload,
                )
            )
        return jobs


async def post(client: httpx.AsyncClient, job: Job) -> Outcome:
    """POST one delivery; a timeout or a refused connection is an outcome, not an error."""
    started = time.monotonic()
    try:
        response = await client.post(job.url, content=job.body.encode(), headers=job.headers)
    except httpx.HTTPError as exc:
        elapsed = round((time.monotonic() - started) * 1000)
        failure = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Outcome(status_code=None, duration_ms=elapsed, error=failure[:MAX_ERROR])
    elapsed = round((time.monotonic() - started) * 1000)
    answer = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    return Outcome(status_code=response.status_code, duration_ms=elapsed, error=answer)


async def record(
    *,
    session: AsyncSession,
    delivery_id: str,
    outcome: Outcome,
    settings: ReferralSettings,
    now: datetime,
) -> None:
    """Log the attempt and move the delivery on: delivered, retried later, or failed.

    410 Gone is the receiver saying the endpoint is no more: it is disabled, with the
    reason, and its pending deliveries are cancelled rather than retried for days.
    """
    delivery = await repository.get_delivery_by_id(session, delivery_id)
    if delivery is None:
        return  # the endpoint was deleted while the attempt was on its way
    repository.add(
        session,
        WebhookAttempt(
            delivery_id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            attempted_at=now,
            status_code=outcome.status_code,
            duration_ms=outcome.duration_ms,
            error=outcome.error,
        ),
    )
    delivery.attempts += 1
    delivery.schedule_step += 1
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error
    if outcome.delivered:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.DELIVERED, None
        delivery.delivered_at = now
        metrics.webhook_deliveries.add(1, {"outcome": "delivered"})
    elif delivery.status != DeliveryStatus.PENDING:
        log.info("webhook delivery %s was cancelled while its attempt was under way", delivery_id)
    elif outcome.status_code == 410:
        await _disable_gone(session, delivery, now=now)
        metrics.webhook_deliveries.add(1, {"outcome": "disabled"})
    else:
        _schedule_retry(delivery, settings=settings, now=now)
        failed = delivery.status == DeliveryStatus.FAILED
        metrics.webhook_deliveries.add(1, {"outcome": "failed" if failed else "retried"})
    await session.flush()


def _schedule_retry(
    delivery: WebhookDelivery, *, settings: ReferralSettings, now: datetime
) -> None:
    schedule = settings.WEBHOOK_RETRY_SCHEDULE_S
    if delivery.schedule_step >= len(schedule):
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        log.warning("webhook delivery %s failed after its last attempt", delivery.id)
        return
    delivery.next_attempt_at = now + timedelta(seconds=schedule[delivery.schedule_step])


async def _disable_gone(session: AsyncSession, delivery: WebhookDelivery, *, now: datetime) -> None:
    delivery.status, delivery.next_attempt_at = DeliveryStatus.CANCELLED, None
    endpoint = await repository.get_endpoint_by_id(session, delivery.endpoint_id)
    if endpoint is None:
        return
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = webhook_service.GONE
    endpoint.updated_at = now
    await session.flush()
    cancelled = await repository.cancel_pending(
        session, endpoint_id=endpoint.id, reason=webhook_service.GONE
    )
    log.warning("webhook endpoint %s answered 410: disabled, %d cancelled", endpoint.id, cancelled)
