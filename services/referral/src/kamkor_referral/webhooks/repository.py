"""Every query of partner webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_common.db import upsert_insert
from kamkor_referral.directory.models import Organization
from kamkor_referral.webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


async def organization_exists(session: AsyncSession, organization_id: str) -> bool:
    return await session.get(Organization, organization_id) is not None


async def get_endpoint(
    session: AsyncSession, *, organization_id: str, endpoint_id: str
) -> WebhookEndpoint | None:
    """One endpoint of the organisation; another organisation's is not found."""
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organization_id != organization_id:
        return None
    return endpoint


async def get_endpoint_by_id(session: AsyncSession, endpoint_id: str) -> WebhookEndpoint | None:
    return await session.get(WebhookEndpoint, endpoint_id)


async def list_endpoints(
    session: AsyncSession, *, organization_id: str, limit: int, offset: int
) -> tuple[list[WebhookEndpoint], int]:
    query = select(WebhookEndpoint).where(col(WebhookEndpoint.organization_id) == organization_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(WebhookEndpoint.created_at), col(WebhookEndpoint.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def count_endpoints(session: AsyncSession, *, organization_id: str) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(WebhookEndpoint)
        .where(col(WebhookEndpoint.organization_id) == organization_id)
    )
    return int(total or 0)


async def enabled_endpoints(session: AsyncSession, organization_id: str) -> list[WebhookEndpoint]:
    rows = await session.scalars(
        select(WebhookEndpoint).where(
            col(WebhookEndpoint.organization_id) == organization_id,
            col(WebhookEndpoint.status) == EndpointStatus.ENABLED,
        )
    )
    return list(rows.all())


def add(session: AsyncSession, row: WebhookEndpoint | WebhookAttempt) -> None:
    session.add(row)


async def delete_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> None:
    await session.delete(endpoint)


async def add_delivery(session: AsyncSession, delivery: WebhookDelivery) -> bool:
    """Insert a delivery unless the endpoint has one for that event; True when inserted."""
    values = delivery.model_dump()
    statement = (
        upsert_insert(session, WebhookDelivery)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
    )
    result: Any = await session.execute(statement)
    return bool(result.rowcount)


async def get_delivery(
    session: AsyncSession, *, endpoint_id: str, delivery_id: str
) -> WebhookDelivery | None:
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        return None
    return delivery


async def get_delivery_by_id(session: AsyncSession, delivery_id: str) -> WebhookDelivery | None:
    return await session.get(WebhookDelivery, delivery_id)


async def list_deliveries(
    session: AsyncSession,
    *,
    endpoint_id: str,
    status: DeliveryStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookDelivery], int]:
    """The endpoint's deliveries, newest first."""
    query = select(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id)
    if status is not None:
        query = query.where(col(WebhookDelivery.status) == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(WebhookDelivery.created_at).desc(), col(WebhookDelivery.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def list_attempts(
    session: AsyncSession,
    *,
    endpoint_id: str,
    delivery_id: str | None,
    limit: int,
    offset: int,
) -> tuple[list[WebhookAttempt], int]:
    """The endpoint's attempts (or one delivery's), newest first."""
    query = select(WebhookAttempt).where(col(WebhookAttempt.endpoint_id) == endpoint_id)
    if delivery_id is not None:
        query = query.where(col(WebhookAttempt.delivery_id) == delivery_id)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(WebhookAttempt.attempted_at).desc(), col(WebhookAttempt.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def claim_due(
    session: AsyncSession, *, now: datetime, hold_until: datetime, limit: int
) -> list[WebhookDelivery]:
    """Take the due pending deliveries of enabled endpoints, keeping them from other workers.

    Pushing `next_attempt_at` out is the claim: a worker that dies mid-attempt leaves the
    delivery due again once the claim runs out. SKIP LOCKED lets workers side by side take
    disjoint batches on PostgreSQL; SQLite has one writer and ignores it.
    """
    rows = await session.scalars(
        select(WebhookDelivery)
        .join(WebhookEndpoint, col(WebhookEndpoint.id) == col(WebhookDelivery.endpoint_id))
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookEndpoint.status) == EndpointStatus.ENABLED,
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=WebhookDelivery)
    )
    claimed = list(rows.all())
    for delivery in claimed:
        delivery.next_attempt_at = hold_until
    await session.flush()
    return claimed


async def endpoints_by_id(
    session: AsyncSession, endpoint_ids: set[str]
) -> dict[str, WebhookEndpoint]:
    if not endpoint_ids:
        return {}
    rows = await session.scalars(
        select(WebhookEndpoint).where(col(WebhookEndpoint.id).in_(endpoint_ids))
    )
    return {endpoint.id: endpoint for endpoint in rows}


async def cancel_pending(session: AsyncSession, *, endpoint_id: str, reason: str) -> int:
    """Stop every pending delivery of the endpoint."""
    result: Any = await session.execute(
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.endpoint_id) == endpoint_id,
            col(WebhookDelivery.status) == DeliveryStatus.PENDING,
        )
        .values(status=DeliveryStatus.CANCELLED, next_attempt_at=None, last_error=reason)
    )
    return int(result.rowcount or 0)


async def purge_finished(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget finished deliveries created before the cutoff; their attempts go with them."""
    finished = (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)
    old = select(col(WebhookDelivery.id)).where(
        col(WebhookDelivery.status).in_(finished), col(WebhookDelivery.created_at) < older_than
    )
    await session.execute(delete(WebhookAttempt).where(col(WebhookAttempt.delivery_id).in_(old)))
    result: Any = await session.execute(
        delete(WebhookDelivery).where(col(WebhookDelivery.id).in_(old))
    )
    return int(result.rowcount or 0)
