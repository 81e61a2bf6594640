"""The partner directory: reading it, and loading the reference network into it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.errors import NotFound, Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.partners import COUNTRY, SeedOrganization
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, REGIONS_BY_CODE
from kamkor_referral.directory import repository
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.directory.schemas import (
    OrganizationList,
    OrganizationRead,
    PartnerServiceRead,
    ServiceAreaRead,
)


class PartnerNotFound(NotFound):
    code = "partner_not_found"
    title = "Partner organisation not found"


def area_kind(code: str) -> str:
    """Whether an area code names the country, a region or a district."""
    if code == COUNTRY:
        return "country"
    if code in REGIONS_BY_CODE:
        return "region"
    if code in DISTRICTS_BY_CODE:
        return "district"
    raise ValueError(f"unknown area code {code!r}")


def codes_within(region: str) -> list[str]:
    """Area codes whose service reaches a family in the region: it, its districts, the country."""
    found = REGIONS_BY_CODE.get(region)
    if found is None:
        raise Unprocessable(
            f"unknown region {region}", errors=[{"field": "region", "message": "unknown region"}]
        )
    return [COUNTRY, region, *(district.code for district in found.districts)]


async def get_organization(*, session: AsyncSession, organization_id: str) -> OrganizationRead:
    """One organisation with its services and their areas."""
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        raise PartnerNotFound(f"no partner organisation {organization_id}")
    return (await _read(session, [organization]))[0]


async def list_organizations(
    *, session: AsyncSession, service_type: str | None, region: str | None, page: PageParams
) -> OrganizationList:
    """Organisations offering a service type and reaching a region (both optional)."""
    organizations, total = await repository.list_organizations(
        session,
        service_type=service_type,
        area_codes=codes_within(region) if region is not None else None,
        limit=page.limit,
        offset=page.offset,
    )
    return OrganizationList(
        items=await _read(session, organizations),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def _read(
    session: AsyncSession, organizations: Sequence[Organization]
) -> list[OrganizationRead]:
    services = await repository.services_of(session, [o.id for o in organizations])
    areas = await repository.areas_of(session, [s.id for found in services.values() for s in found])
    return [
        OrganizationRead(
            id=organization.id,
            name=organization.name,
            type=organization.type,
            languages=organization.languages,
            contact=organization.contact,
            active=organization.active,
            services=[
                PartnerServiceRead(
                    id=service.id,
                    service_type=service.service_type,
                    name=service.name,
                    status=service.status,
                    accepts_referrals=service.accepts_referrals,
                    languages=service.languages or organization.languages,
                    min_age=service.min_age,
                    max_age=service.max_age,
                    open_referral_limit=service.open_referral_limit,
                    areas=[
                        ServiceAreaRead(kind=area.kind, code=area.code)
                        for area in areas.get(service.id, [])
                    ],
                )
                for service in services[organization.id]
            ],
        )
        for organization in organizations
    ]


async def seed_directory(
    *, session: AsyncSession, organizations: Sequence[SeedOrganization]
) -> None:
    """Create or update the given organisations, services and areas; safe to run again."""
    for seed in organizations:
        organization = await repository.get_organization(session, seed.id)
        if organization is None:
            organization = Organization(id=seed.id, name=seed.name, type=seed.type)
            repository.add(session, organization)
        organization.name = seed.name
        organization.type = seed.type
        organization.languages = list(seed.languages)
        await session.flush()
        for seed_service in seed.services:
            service = await repository.get_service(session, seed_service.id)
            if service is None:
                service = PartnerService(
                    id=seed_service.id,
                    organization_id=seed.id,
                    service_type=seed_service.service_type,
                    name=seed_service.name,
                )
                repository.add(session, service)
            # Status and whether it accepts referrals are the partner's to change at run
            # time: seeding again must not reopen a service someone closed.
            service.organization_id = seed.id
            service.service_type = seed_service.service_type
            service.name = seed_service.name
            service.languages = list(seed_service.languages)
            service.open_referral_limit = seed_service.open_referral_limit
            await session.flush()
            await repository.replace_areas(
                session,
                seed_service.id,
                [
                    ServiceArea(service_id=seed_service.id, kind=area_kind(code), code=code)
                    for code in seed_service.areas
                ],
            )
    await session.flush()
