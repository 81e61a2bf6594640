"""Every query of the partner directory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.referrals.models import OPEN_AT_PARTNER_STATUSES, Referral


async def get_organization(
    session: AsyncSession, organization_id: str, *, for_update: bool = False
) -> Organization | None:
    """One organisation by id; with `for_update` locked until the transaction ends."""
    return await session.get(
        Organization, organization_id, with_for_update=for_update, populate_existing=for_update
    )


async def get_service(
    session: AsyncSession, service_id: str, *, for_update: bool = False
) -> PartnerService | None:
    """One partner service by id; with `for_update` locked until the transaction ends."""
    return await session.get(
        PartnerService, service_id, with_for_update=for_update, populate_existing=for_update
    )


async def list_organizations(
    session: AsyncSession,
    *,
    service_type: str | None,
    area_codes: Sequence[str] | None,
    limit: int,
    offset: int,
    organization_type: str | None = None,
    active: bool | None = None,
) -> tuple[list[Organization], int]:
    """Organisations, by name, that offer the service type in one of the areas (if given)."""
    query = select(Organization)
    if organization_type is not None:
        query = query.where(col(Organization.type) == organization_type)
    if active is not None:
        query = query.where(col(Organization.active) == active)
    if service_type is not None or area_codes is not None:
        offering = select(col(PartnerService.organization_id))
        if service_type is not None:
            offering = offering.where(col(PartnerService.service_type) == service_type)
        if area_codes is not None:
            offering = offering.join(
                ServiceArea, col(ServiceArea.service_id) == col(PartnerService.id)
            ).where(col(ServiceArea.code).in_(area_codes))
        query = query.where(col(Organization.id).in_(offering))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(Organization.name), col(Organization.id)).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def services_of(
    session: AsyncSession, organization_ids: Sequence[str]
) -> dict[str, list[PartnerService]]:
    """The services of each organisation, by type and name."""
    found: dict[str, list[PartnerService]] = {org_id: [] for org_id in organization_ids}
    if not organization_ids:
        return found
    rows = await session.scalars(
        select(PartnerService)
        .where(col(PartnerService.organization_id).in_(organization_ids))
        .order_by(col(PartnerService.service_type), col(PartnerService.name))
    )
    for service in rows:
        found[service.organization_id].append(service)
    return found


async def areas_of(
    session: AsyncSession, service_ids: Sequence[str]
) -> dict[str, list[ServiceArea]]:
    """The areas of each service, widest last."""
    found: dict[str, list[ServiceArea]] = defaultdict(list)
    if not service_ids:
        return found
    rows = await session.scalars(
        select(ServiceArea)
        .where(col(ServiceArea.service_id).in_(service_ids))
        .order_by(col(ServiceArea.kind), col(ServiceArea.code))
    )
    for area in rows:
        found[area.service_id].append(area)
    return found


async def names(
    session: AsyncSession, *, organization_ids: Sequence[str], service_ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Names of organisations and services by id."""
    organizations: dict[str, str] = {}
    services: dict[str, str] = {}
    if organization_ids:
        rows = await session.execute(
            select(col(Organization.id), col(Organization.name)).where(
                col(Organization.id).in_(organization_ids)
            )
        )
        organizations = dict(rows.all())
    if service_ids:
        rows = await session.execute(
            select(col(PartnerService.id), col(PartnerService.name)).where(
                col(PartnerService.id).in_(service_ids)
            )
        )
        services = dict(rows.all())
    return organizations, services


def add(session: AsyncSession, row: Organization | PartnerService | ServiceArea) -> None:
    """Stage a new directory row."""
    session.add(row)


async def replace_areas(
    session: AsyncSession, service_id: str, areas: Sequence[ServiceArea]
) -> None:
    """Make the given areas the service's only ones."""
    await session.execute(delete(ServiceArea).where(col(ServiceArea.service_id) == service_id))
    session.add_all(areas)


async def all_organizations(session: AsyncSession) -> list[Organization]:
    """The whole directory's organisations, by id (the export's stable order)."""
    rows = await session.scalars(select(Organization).order_by(col(Organization.id)))
    return list(rows.all())


async def open_referral_count(
    session: AsyncSession, *, organization_id: str | None = None, service_id: str | None = None
) -> int:
    """Referrals open at the organisation or the service (requested to on hold)."""
    query = select(func.count()).where(col(Referral.status).in_(OPEN_AT_PARTNER_STATUSES))
    if organization_id is not None:
        query = query.where(col(Referral.organization_id) == organization_id)
    if service_id is not None:
        query = query.where(col(Referral.service_id) == service_id)
    return int(await session.scalar(query) or 0)


async def delete_service(session: AsyncSession, service_id: str) -> None:
    """Remove a service and its areas."""
    await session.execute(delete(ServiceArea).where(col(ServiceArea.service_id) == service_id))
    await session.execute(delete(PartnerService).where(col(PartnerService.id) == service_id))


async def delete_organization(session: AsyncSession, organization_id: str) -> None:
    """Remove an organisation with its services and their areas."""
    services = select(col(PartnerService.id)).where(
        col(PartnerService.organization_id) == organization_id
    )
    await session.execute(delete(ServiceArea).where(col(ServiceArea.service_id).in_(services)))
    await session.execute(
        delete(PartnerService).where(col(PartnerService.organization_id) == organization_id)
    )
    await session.execute(delete(Organization).where(col(Organization.id) == organization_id))
