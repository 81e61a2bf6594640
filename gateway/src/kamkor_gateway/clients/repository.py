"""Every query on API clients."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_gateway.clients.models import ApiClient, ApiClientAudit


async def get(session: AsyncSession, client_id: str) -> ApiClient | None:
    return await session.get(ApiClient, client_id)


async def add(session: AsyncSession, client: ApiClient, audit: ApiClientAudit) -> None:
    session.add(client)
    session.add(audit)
    await session.flush()


async def record(session: AsyncSession, audit: ApiClientAudit) -> None:
    session.add(audit)
    await session.flush()


async def page(
    session: AsyncSession, *, organization_id: str | None, limit: int, offset: int
) -> tuple[list[ApiClient], int]:
    query = select(ApiClient)
    if organization_id is not None:
        query = query.where(ApiClient.organization_id == organization_id)  # type: ignore[arg-type]
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(ApiClient.created_at, ApiClient.id).limit(limit).offset(offset)  # type: ignore[arg-type]
    )
    return list(rows), int(total or 0)


async def audit_of(session: AsyncSession, client_id: str) -> list[ApiClientAudit]:
    rows = await session.scalars(
        select(ApiClientAudit)
        .where(ApiClientAudit.client_id == client_id)  # type: ignore[arg-type]
        .order_by(ApiClientAudit.at)  # type: ignore[arg-type]
    )
    return list(rows)
