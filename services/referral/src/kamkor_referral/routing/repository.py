"""The queries routing needs: candidate services with their areas and load, pending holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.referrals.models import OPEN_AT_PARTNER_STATUSES, Referral
from kamkor_referral.routing.schemas import Area, Candidate


async def candidates(
    session: AsyncSession, *, service_type: str, referral_id: str | None = None
) -> list[Candidate]:
    """Every directory service of the type, with its areas and open referrals.

    The referral being routed (if any) is left out of the counts: moving it on must not
    count it against the partner that has it now.
    """
    result = await session.execute(
        select(PartnerService, Organization)
        .join(Organization, col(Organization.id) == col(PartnerService.organization_id))
        .where(col(PartnerService.service_type) == service_type)
    )
    pairs = [(service, organization) for service, organization in result]
    service_ids = [service.id for service, _ in pairs]
    if not service_ids:
        return []
    areas: dict[str, list[Area]] = defaultdict(list)
    for area in await session.scalars(
        select(ServiceArea).where(col(ServiceArea.service_id).in_(service_ids))
    ):
        areas[area.service_id].append(Area(kind=area.kind, code=area.code))
    loads = await open_referrals(session, service_ids=service_ids, excluding=referral_id)
    return [
        Candidate(
            organization_id=organization.id,
            organization_name=organization.name,
            organization_active=organization.active,
            service_id=service.id,
            service_type=service.service_type,
            areas=tuple(areas[service.id]),
            languages=tuple(service.languages or organization.languages),
            status=service.status,
            accepts_referrals=service.accepts_referrals,
            min_age=service.min_age,
            max_age=service.max_age,
            sex_eligibility=tuple(service.sex_eligibility),
            open_referral_limit=service.open_referral_limit,
            open_referrals=loads.get(service.id, 0),
        )
        for service, organization in pairs
    ]


async def open_referrals(
    session: AsyncSession, *, service_ids: Sequence[str], excluding: str | None = None
) -> dict[str, int]:
    """How many referrals each service has open (requested, accepted, in progress, on hold)."""
    query = select(col(Referral.service_id), func.count()).where(
        col(Referral.service_id).in_(service_ids),
        col(Referral.status).in_(OPEN_AT_PARTNER_STATUSES),
    )
    if excluding is not None:
        query = query.where(col(Referral.id) != excluding)
    rows = await session.execute(query.group_by(col(Referral.service_id)))
    return {service_id: int(count) for service_id, count in rows if service_id}


async def holds_awaiting_answer(
    session: AsyncSession,
    *,
    category: str,
    shelter_ids: Sequence[str],
    asked_since: datetime,
    excluding: str | None = None,
) -> dict[str, int]:
    """Bed holds of the category asked of each shelter since a moment, not answered yet.

    The shelter's next snapshot will count them; until then they are not free for others.
    """
    if not shelter_ids:
        return {}
    query = select(col(Referral.shelter_id), func.count()).where(
        col(Referral.shelter_id).in_(shelter_ids),
        col(Referral.hold_status) == "requested",
        col(Referral.hold_category) == category,
        col(Referral.hold_requested_at) >= asked_since,
    )
    if excluding is not None:
        query = query.where(col(Referral.id) != excluding)
    rows = await session.execute(query.group_by(col(Referral.shelter_id)))
    return {shelter_id: int(count) for shelter_id, count in rows if shelter_id}
