"""HTTP routes of the partner directory: staff read it, admins manage it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from kamkor_common.auth import CurrentPrincipal, Principal, require_roles
from kamkor_common.db import SessionDep
from kamkor_common.pagination import PageParams, page_params
from kamkor_referral.directory import service
from kamkor_referral.directory.hsds import service as hsds_service
from kamkor_referral.directory.hsds.schemas import HsdsDirectory, ImportReport
from kamkor_referral.directory.schemas import (
    OrganizationCreate,
    OrganizationList,
    OrganizationRead,
    OrganizationType,
    OrganizationUpdate,
    PartnerServiceCreate,
    PartnerServiceRead,
    PartnerServiceUpdate,
    ServiceType,
)

router = APIRouter(prefix="/api/v1/partners", tags=["partners"])

# The directory holds no personal data: every signed-in role may read it (partners too, as
# docs/partner-api.md promises; `CurrentPrincipal`); only admins change it.
Admin = Annotated[Principal, Depends(require_roles("admin"))]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=200)]


def _etag(version: int) -> str:
    return f'"{version}"'


@router.get("", response_model=OrganizationList)
async def list_partners(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: Annotated[PageParams, Depends(page_params)],
    service_type: ServiceType | None = None,
    region: Annotated[str | None, Query(max_length=16)] = None,
    type: OrganizationType | None = None,
    active: bool | None = None,
) -> OrganizationList:
    """Partner organisations, optionally by type, activity, service type and region reached."""
    return await service.list_organizations(
        session=session,
        service_type=service_type,
        region=region,
        organization_type=type,
        active=active,
        page=page,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganizationRead)
async def create_partner(
    organization_in: OrganizationCreate, session: SessionDep, principal: Admin, response: Response
) -> OrganizationRead:
    """Add a partner organisation."""
    organization = await service.create_organization(
        session=session, organization_in=organization_in
    )
    response.headers["ETag"] = _etag(organization.version)
    response.headers["Location"] = f"{router.prefix}/{organization.id}"
    return organization


@router.get("/hsds", response_model=HsdsDirectory, response_model_exclude_none=True)
async def export_hsds(session: SessionDep, principal: CurrentPrincipal) -> HsdsDirectory:
    """The whole directory as Open Referral HSDS 3.0 organisations with nested services."""
    return await hsds_service.export_directory(session=session)


@router.post("/hsds", response_model=ImportReport)
async def import_hsds(
    directory: HsdsDirectory, session: SessionDep, principal: Admin
) -> ImportReport:
    """Create or update the directory from HSDS 3.0 records, by id; each record is reported."""
    return await hsds_service.import_directory(session=session, directory=directory)


@router.get("/{organization_id}", response_model=OrganizationRead)
async def get_partner(
    organization_id: str, session: SessionDep, principal: CurrentPrincipal, response: Response
) -> OrganizationRead:
    """One partner organisation with its services and the areas each covers."""
    organization = await service.get_organization(session=session, organization_id=organization_id)
    response.headers["ETag"] = _etag(organization.version)
    return organization


@router.patch("/{organization_id}", response_model=OrganizationRead)
async def update_partner(
    organization_id: str,
    organization_in: OrganizationUpdate,
    session: SessionDep,
    principal: Admin,
    response: Response,
    if_match: IfMatch = None,
) -> OrganizationRead:
    """Change an organisation (deactivate it with `active: false`); needs If-Match."""
    organization = await service.update_organization(
        session=session,
        organization_id=organization_id,
        organization_in=organization_in,
        if_match=if_match,
    )
    response.headers["ETag"] = _etag(organization.version)
    return organization


@router.delete("/{organization_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_partner(organization_id: str, session: SessionDep, principal: Admin) -> None:
    """Remove an organisation with its services; 409 while referrals are open there."""
    await service.delete_organization(session=session, organization_id=organization_id)


@router.post(
    "/{organization_id}/services",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnerServiceRead,
)
async def create_partner_service(
    organization_id: str,
    service_in: PartnerServiceCreate,
    session: SessionDep,
    principal: Admin,
    response: Response,
) -> PartnerServiceRead:
    """Add a service, with its eligibility and the areas it covers, to an organisation."""
    created = await service.create_service(
        session=session, organization_id=organization_id, service_in=service_in
    )
    response.headers["ETag"] = _etag(created.version)
    response.headers["Location"] = f"{router.prefix}/{organization_id}/services/{created.id}"
    return created


@router.get("/{organization_id}/services/{service_id}", response_model=PartnerServiceRead)
async def get_partner_service(
    organization_id: str,
    service_id: str,
    session: SessionDep,
    principal: CurrentPrincipal,
    response: Response,
) -> PartnerServiceRead:
    """One service of an organisation."""
    found = await service.get_service(
        session=session, organization_id=organization_id, service_id=service_id
    )
    response.headers["ETag"] = _etag(found.version)
    return found


@router.patch("/{organization_id}/services/{service_id}", response_model=PartnerServiceRead)
async def update_partner_service(
    organization_id: str,
    service_id: str,
    service_in: PartnerServiceUpdate,
    session: SessionDep,
    principal: Admin,
    response: Response,
    if_match: IfMatch = None,
) -> PartnerServiceRead:
    """Change a service; `areas`, when sent, replaces them all; needs If-Match."""
    updated = await service.update_service(
        session=session,
        organization_id=organization_id,
        service_id=service_id,
        service_in=service_in,
        if_match=if_match,
    )
    response.headers["ETag"] = _etag(updated.version)
    return updated


@router.delete("/{organization_id}/services/{service_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_partner_service(
    organization_id: str, service_id: str, session: SessionDep, principal: Admin
) -> None:
    """Remove a service; 409 while referrals are open there."""
    await service.delete_service(
        session=session, organization_id=organization_id, service_id=service_id
    )
