"""The partner directory: reading it, managing it (admins), and seeding the reference network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.errors import Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.partners import COUNTRY, SeedOrganization
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, REGIONS_BY_CODE
from kamkor_referral.directory import repository
from kamkor_referral.directory.errors import (
    IfMatchRequired,
    InvalidAgeRange,
    OrganizationHasOpenReferrals,
    PartnerNotFound,
    PartnerServiceNotFound,
    ServiceHasOpenReferrals,
    UnknownArea,
    VersionMismatch,
)
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.directory.schemas import (
    OrganizationCreate,
    OrganizationList,
    OrganizationRead,
    OrganizationUpdate,
    PartnerServiceCreate,
    PartnerServiceRead,
    PartnerServiceUpdate,
    ServiceAreaIn,
    ServiceAreaRead,
    SexEligibility,
    SexEligibilityIn,
)


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


def area_problems(areas: Sequence[ServiceAreaIn], field: str = "areas") -> list[dict[str, str]]:
    """Each area whose code is not a reference region, district or the country, as field errors."""
    problems = []
    for index, area in enumerate(areas):
        known = (
            (area.kind == "country" and area.code == COUNTRY)
            or (area.kind == "region" and area.code in REGIONS_BY_CODE)
            or (area.kind == "district" and area.code in DISTRICTS_BY_CODE)
        )
        if not known:
            problems.append(
                {"field": f"{field}.{index}.code", "message": f"no {area.kind} {area.code}"}
            )
    return problems


def sexes_of(eligibility: SexEligibilityIn) -> list[str]:
    """The stored form: the sexes served, sorted; empty for any (both sexes are any)."""
    sexes = (
        {"female", "male"}
        if eligibility == "any"
        else ({eligibility} if isinstance(eligibility, str) else set(eligibility))
    )
    return [] if not sexes or sexes == {"female", "male"} else sorted(sexes)


def eligibility_of(sexes: Sequence[str]) -> SexEligibility:
    """The read form of the stored sexes."""
    if len(sexes) == 1 and sexes[0] in ("female", "male"):
        return "female" if sexes[0] == "female" else "male"
    return "any"


def check_if_match(if_match: str | None, version: int) -> None:
    """An update must name the version it was made on (`*` takes any)."""
    if if_match is None:
        raise IfMatchRequired("send If-Match with the ETag of the record you changed")
    tags = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
    if "*" not in tags and str(version) not in tags:
        raise VersionMismatch(f"the record is at version {version}; read it again", version=version)


async def get_organization(*, session: AsyncSession, organization_id: str) -> OrganizationRead:
    """One organisation with its services and their areas."""
    return (await read_organizations(session, [await _organization(session, organization_id)]))[0]


async def list_organizations(
    *,
    session: AsyncSession,
    service_type: str | None,
    region: str | None,
    page: PageParams,
    organization_type: str | None = None,
    active: bool | None = None,
) -> OrganizationList:
    """Organisations by type, activity, service type offered and region reached (all optional)."""
    organizations, total = await repository.list_organizations(
        session,
        service_type=service_type,
        area_codes=codes_within(region) if region is not None else None,
        organization_type=organization_type,
        active=active,
        limit=page.limit,
        offset=page.offset,
    )
    return OrganizationList(
        items=await read_organizations(session, organizations),
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def create_organization(
    *, session: AsyncSession, organization_in: OrganizationCreate
) -> OrganizationRead:
    """Add an organisation (without services yet)."""
    organization = Organization(**organization_in.model_dump())
    repository.add(session, organization)
    await session.flush()
    return await get_organization(session=session, organization_id=organization.id)


async def update_organization(
    *,
    session: AsyncSession,
    organization_id: str,
    organization_in: OrganizationUpdate,
    if_match: str | None,
) -> OrganizationRead:
    """Change the fields sent, if the organisation is still at the version the caller read."""
    organization = await _organization(session, organization_id, for_update=True)
    check_if_match(if_match, organization.version)
    for name, value in organization_in.model_dump(exclude_unset=True).items():
        setattr(organization, name, value)
    organization.version += 1
    await session.flush()
    return await get_organization(session=session, organization_id=organization_id)


async def delete_organization(*, session: AsyncSession, organization_id: str) -> None:
    """Remove an organisation and its services; refused while it has open referrals."""
    await _organization(session, organization_id)
    open_count = await repository.open_referral_count(session, organization_id=organization_id)
    if open_count:
        raise OrganizationHasOpenReferrals(
            f"{open_count} referrals are open at the organisation: deactivate it instead",
            open_referrals=open_count,
        )
    await repository.delete_organization(session, organization_id)
    await session.flush()


async def get_service(
    *, session: AsyncSession, organization_id: str, service_id: str
) -> PartnerServiceRead:
    """One service of an organisation, with its areas."""
    organization = await _organization(session, organization_id)
    service = await _service(session, organization_id, service_id)
    areas = await repository.areas_of(session, [service.id])
    return service_read(service, organization, areas.get(service.id, []))


async def create_service(
    *, session: AsyncSession, organization_id: str, service_in: PartnerServiceCreate
) -> PartnerServiceRead:
    """Add a service to an organisation, with the areas it covers."""
    await _organization(session, organization_id)
    check_service(service_in.min_age, service_in.max_age, service_in.areas)
    service = PartnerService(
        organization_id=organization_id,
        **service_in.model_dump(exclude={"areas", "sex_eligibility"}),
        sex_eligibility=sexes_of(service_in.sex_eligibility),
    )
    repository.add(session, service)
    await session.flush()
    await repository.replace_areas(session, service.id, new_areas(service.id, service_in.areas))
    await session.flush()
    return await get_service(
        session=session, organization_id=organization_id, service_id=service.id
    )


async def update_service(
    *,
    session: AsyncSession,
    organization_id: str,
    service_id: str,
    service_in: PartnerServiceUpdate,
    if_match: str | None,
) -> PartnerServiceRead:
    """Change the fields sent (areas replaced as a whole), at the version the caller read."""
    await _organization(session, organization_id)
    service = await _service(session, organization_id, service_id, for_update=True)
    check_if_match(if_match, service.version)
    changes = service_in.model_dump(exclude_unset=True, exclude={"areas", "sex_eligibility"})
    check_service(
        changes.get("min_age", service.min_age),
        changes.get("max_age", service.max_age),
        service_in.areas or [],
    )
    for name, value in changes.items():
        setattr(service, name, value)
    if service_in.sex_eligibility is not None:
        service.sex_eligibility = sexes_of(service_in.sex_eligibility)
    if service_in.areas is not None:
        await repository.replace_areas(session, service.id, new_areas(service.id, service_in.areas))
    service.version += 1
    await session.flush()
    return await get_service(
        session=session, organization_id=organization_id, service_id=service_id
    )


async def delete_service(*, session: AsyncSession, organization_id: str, service_id: str) -> None:
    """Remove a service; refused while it has open referrals."""
    await _organization(session, organization_id)
    await _service(session, organization_id, service_id)
    open_count = await repository.open_referral_count(session, service_id=service_id)
    if open_count:
        raise ServiceHasOpenReferrals(
            f"{open_count} referrals are open at the service: set it inactive instead",
            open_referrals=open_count,
        )
    await repository.delete_service(session, service_id)
    await session.flush()


def service_read(
    service: PartnerService, organization: Organization, areas: Sequence[ServiceArea]
) -> PartnerServiceRead:
    """The service as the API shows it: its own languages, else the organisation's."""
    return PartnerServiceRead(
        id=service.id,
        organization_id=service.organization_id,
        service_type=service.service_type,
        name=service.name,
        status=service.status,
        accepts_referrals=service.accepts_referrals,
        languages=service.languages or organization.languages,
        min_age=service.min_age,
        max_age=service.max_age,
        sex_eligibility=eligibility_of(service.sex_eligibility),
        open_referral_limit=service.open_referral_limit,
        description=service.description,
        version=service.version,
        areas=[ServiceAreaRead(kind=area.kind, code=area.code) for area in areas],
    )


async def read_organizations(
    session: AsyncSession, organizations: Sequence[Organization]
) -> list[OrganizationRead]:
    """Organisations with their services and areas, in two queries."""
    services = await repository.services_of(session, [o.id for o in organizations])
    areas = await repository.areas_of(session, [s.id for found in services.values() for s in found])
    return [
        OrganizationRead(
            **_organization_fields(organization),
            services=[
                service_read(service, organization, areas.get(service.id, []))
                for service in services[organization.id]
            ],
        )
        for organization in organizations
    ]


def _organization_fields(organization: Organization) -> dict[str, Any]:
    return organization.model_dump(
        include={
            "id",
            "name",
            "type",
            "languages",
            "contact",
            "description",
            "email",
            "website",
            "active",
            "version",
        }
    )


def check_service(min_age: int | None, max_age: int | None, areas: Sequence[ServiceAreaIn]) -> None:
    if min_age is not None and max_age is not None and min_age > max_age:
        raise InvalidAgeRange(
            f"min_age {min_age} is above max_age {max_age}",
            errors=[{"field": "min_age", "message": "must not be above max_age"}],
        )
    problems = area_problems(areas)
    if problems:
        raise UnknownArea(
            "areas must be reference regions, districts or the country", errors=problems
        )


def new_areas(service_id: str, areas: Sequence[ServiceAreaIn]) -> list[ServiceArea]:
    unique = {(area.kind, area.code) for area in areas}
    return [
        ServiceArea(service_id=service_id, kind=kind, code=code) for kind, code in sorted(unique)
    ]


async def _organization(
    session: AsyncSession, organization_id: str, *, for_update: bool = False
) -> Organization:
    # Locked for an update, so that two admins with the same ETag cannot both write.
    organization = await repository.get_organization(
        session, organization_id, for_update=for_update
    )
    if organization is None:
        raise PartnerNotFound(f"no partner organisation {organization_id}")
    return organization


async def _service(
    session: AsyncSession, organization_id: str, service_id: str, *, for_update: bool = False
) -> PartnerService:
    service = await repository.get_service(session, service_id, for_update=for_update)
    if service is None or service.organization_id != organization_id:
        raise PartnerServiceNotFound(f"no service {service_id} at organisation {organization_id}")
    return service


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
            service.sex_eligibility = list(seed_service.sex_eligibility)
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
