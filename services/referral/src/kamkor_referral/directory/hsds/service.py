"""The directory as Open Referral HSDS 3.0: export all of it, import records by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.errors import Unprocessable
from kamkor_common.reference.partners import COUNTRY
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, REGIONS_BY_CODE
from kamkor_referral.directory import repository
from kamkor_referral.directory import service as directory_service
from kamkor_referral.directory.hsds import schemas as hsds
from kamkor_referral.directory.models import Organization, PartnerService, ServiceArea
from kamkor_referral.directory.schemas import OrganizationCreate, PartnerServiceCreate

# Ids of the records Kamkor derives (attributes, terms, languages, areas): the same
# directory always exports the same ids, so an export compares equal after a round trip.
NAMESPACE = uuid.UUID("5d0c8a53-3d5e-4b8e-9d0a-6b616d6b6f72")
TAXONOMY_DESCRIPTIONS = {
    hsds.ORGANIZATION_TYPE: "Kamkor organisation type",
    hsds.ORGANIZATION_LANGUAGE: "A language the organisation works in (ISO 639-1)",
    hsds.ORGANIZATION_ACTIVE: "Whether the organisation takes part in the network",
    hsds.CONTACT: "How Kamkor staff reach the organisation",
    hsds.SERVICE_TYPE: "Kamkor service taxonomy (DESIGN §6)",
    hsds.ACCEPTS_REFERRALS: "Whether the service accepts referrals now",
    hsds.OPEN_REFERRAL_LIMIT: "Most referrals open at the service at once",
    hsds.SEX_ELIGIBILITY: "A sex the service serves; none listed means any",
}
LANGUAGE_NAMES = {"ky": "Kyrgyz", "ru": "Russian", "en": "English"}


class _Rejected(Exception):
    def __init__(self, errors: list[hsds.RecordProblem]) -> None:
        super().__init__("rejected")
        self.errors = errors


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def _attribute(
    entity: str, link_id: str, taxonomy: str, code: str, value: str | None = None
) -> hsds.Attribute:
    term_id = _id(taxonomy, code)
    return hsds.Attribute(
        id=_id(link_id, taxonomy, code),
        link_id=link_id,
        link_type=taxonomy,
        link_entity=entity,
        taxonomy_term_id=term_id,
        taxonomy_term=hsds.TaxonomyTerm(
            id=term_id,
            code=code,
            name=code,
            description=TAXONOMY_DESCRIPTIONS[taxonomy],
            taxonomy=taxonomy,
        ),
        value=value,
    )


def area_name(code: str) -> str:
    """The English name of a reference area code."""
    if code == COUNTRY:
        return "Kyrgyzstan"
    if code in REGIONS_BY_CODE:
        return REGIONS_BY_CODE[code].name.en
    return DISTRICTS_BY_CODE[code].name.en


def organization_record(
    organization: Organization,
    services: Sequence[PartnerService],
    areas: dict[str, list[ServiceArea]],
) -> hsds.Organization:
    """One organisation and its services in HSDS 3.0 terms."""
    org_attributes = [
        _attribute("organization", organization.id, hsds.ORGANIZATION_TYPE, organization.type),
        *(
            _attribute("organization", organization.id, hsds.ORGANIZATION_LANGUAGE, language)
            for language in organization.languages
        ),
        _attribute(
            "organization",
            organization.id,
            hsds.ORGANIZATION_ACTIVE,
            str(organization.active).lower(),
        ),
    ]
    if organization.contact is not None:
        org_attributes.append(
            _attribute(
                "organization", organization.id, hsds.CONTACT, "contact", organization.contact
            )
        )
    return hsds.Organization(
        id=organization.id,
        name=organization.name,
        description=organization.description or "",
        email=organization.email,
        website=organization.website,
        services=[
            service_record(service, areas.get(service.id, []))
            for service in sorted(services, key=lambda s: s.id)
        ],
        attributes=org_attributes,
    )


def service_record(service: PartnerService, areas: Sequence[ServiceArea]) -> hsds.Service:
    """One service in HSDS 3.0 terms; Kamkor's own facts as attributes."""
    attributes = [
        _attribute("service", service.id, hsds.SERVICE_TYPE, service.service_type),
        _attribute(
            "service", service.id, hsds.ACCEPTS_REFERRALS, str(service.accepts_referrals).lower()
        ),
        *(
            _attribute("service", service.id, hsds.SEX_ELIGIBILITY, sex)
            for sex in service.sex_eligibility
        ),
    ]
    if service.open_referral_limit is not None:
        attributes.append(
            _attribute(
                "service",
                service.id,
                hsds.OPEN_REFERRAL_LIMIT,
                "limit",
                str(service.open_referral_limit),
            )
        )
    sexes = service.sex_eligibility
    return hsds.Service(
        id=service.id,
        organization_id=service.organization_id,
        name=service.name,
        description=service.description,
        status=service.status,
        minimum_age=service.min_age,
        maximum_age=service.max_age,
        eligibility_description=f"{' or '.join(sexes)} clients only" if sexes else None,
        languages=[
            hsds.Language(
                id=_id(service.id, "language", code),
                service_id=service.id,
                name=LANGUAGE_NAMES.get(code, code),
                code=code,
            )
            for code in service.languages
        ],
        service_areas=[
            hsds.ServiceArea(
                id=_id(service.id, "area", area.code),
                service_id=service.id,
                name=area_name(area.code),
                extent=area.code,
                description=area.kind,
            )
            for area in areas
        ],
        attributes=attributes,
    )


async def export_directory(*, session: AsyncSession) -> hsds.HsdsDirectory:
    """Every organisation with its services, as one HSDS 3.0 API page."""
    organizations = await repository.all_organizations(session)
    services = await repository.services_of(session, [o.id for o in organizations])
    areas = await repository.areas_of(session, [s.id for found in services.values() for s in found])
    contents = [
        organization_record(o, services[o.id], areas).model_dump(mode="json", exclude_none=True)
        for o in organizations
    ]
    return hsds.HsdsDirectory(
        total_items=len(contents),
        size=len(contents),
        empty=not contents,
        contents=contents,
    )


async def import_directory(
    *, session: AsyncSession, directory: hsds.HsdsDirectory
) -> hsds.ImportReport:
    """Create or update each organisation and service by its id; report every record.

    A record that is invalid is rejected with its reasons and nothing of it is written; the
    others go ahead. Services of the directory that the document leaves out are kept.
    """
    records: list[hsds.RecordOutcome] = []
    seen: set[str] = set()
    for index, raw in enumerate(directory.contents):
        records.extend(await _import_organization(session, raw, f"contents.{index}", seen))
    count = {
        outcome: sum(r.outcome == outcome for r in records)
        for outcome in ("created", "updated", "unchanged", "rejected")
    }
    return hsds.ImportReport(**count, records=records)


async def _import_organization(
    session: AsyncSession, raw: dict[str, Any], where: str, seen: set[str]
) -> list[hsds.RecordOutcome]:
    raw_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        record = _validated(hsds.Organization, raw, where)
        if record.id in seen:
            raise _Rejected([_problem(f"{where}.id", "appears twice in this document")])
        fields = _validated(OrganizationCreate, _organization_fields(record), where)
    except _Rejected as rejected:
        raw_services = raw.get("services")
        services = raw_services if isinstance(raw_services, list) else []
        return [
            hsds.RecordOutcome(
                entity="organization", id=raw_id, outcome="rejected", errors=rejected.errors
            ),
            *(
                hsds.RecordOutcome(
                    entity="service",
                    id=s.get("id") if isinstance(s, dict) else None,
                    outcome="rejected",
                    errors=[_problem(f"{where}.services.{i}", "its organisation was rejected")],
                )
                for i, s in enumerate(services)
            ),
        ]
    seen.add(record.id)
    outcomes = [await _upsert_organization(session, record.id, fields)]
    for index, service in enumerate(record.services):
        outcomes.append(
            await _import_service(session, record.id, service, f"{where}.services.{index}", seen)
        )
    return outcomes


async def _import_service(
    session: AsyncSession, organization_id: str, record: hsds.Service, where: str, seen: set[str]
) -> hsds.RecordOutcome:
    try:
        if record.id in seen:
            raise _Rejected([_problem(f"{where}.id", "appears twice in this document")])
        if record.organization_id not in (None, organization_id):
            raise _Rejected(
                [_problem(f"{where}.organization_id", "is not the enclosing organization")]
            )
        existing = await repository.get_service(session, record.id)
        if existing is not None and existing.organization_id != organization_id:
            # Moving a service would leave its referrals addressed to the old organisation.
            raise _Rejected(
                [_problem(f"{where}.id", f"belongs to organization {existing.organization_id}")]
            )
        fields = _validated(PartnerServiceCreate, _service_fields(record, where), where)
        try:
            directory_service.check_service(fields.min_age, fields.max_age, fields.areas)
        except Unprocessable as invalid:
            raise _Rejected(
                [_problem(f"{where}.{e['field']}", e["message"]) for e in invalid.extra["errors"]]
            ) from invalid
    except _Rejected as rejected:
        return hsds.RecordOutcome(
            entity="service", id=record.id, outcome="rejected", errors=rejected.errors
        )
    seen.add(record.id)
    return await _upsert_service(session, organization_id, record.id, fields)


async def _upsert_organization(
    session: AsyncSession, organization_id: str, fields: OrganizationCreate
) -> hsds.RecordOutcome:
    values = fields.model_dump()
    organization = await repository.get_organization(session, organization_id)
    if organization is None:
        repository.add(session, Organization(id=organization_id, **values))
        await session.flush()
        return hsds.RecordOutcome(entity="organization", id=organization_id, outcome="created")
    if all(getattr(organization, name) == value for name, value in values.items()):
        return hsds.RecordOutcome(entity="organization", id=organization_id, outcome="unchanged")
    for name, value in values.items():
        setattr(organization, name, value)
    organization.version += 1
    await session.flush()
    return hsds.RecordOutcome(entity="organization", id=organization_id, outcome="updated")


async def _upsert_service(
    session: AsyncSession, organization_id: str, service_id: str, fields: PartnerServiceCreate
) -> hsds.RecordOutcome:
    values = {
        **fields.model_dump(exclude={"areas", "sex_eligibility"}),
        "organization_id": organization_id,
        "sex_eligibility": directory_service.sexes_of(fields.sex_eligibility),
    }
    areas = directory_service.new_areas(service_id, fields.areas)
    service = await repository.get_service(session, service_id)
    outcome = "updated"
    if service is None:
        service = PartnerService(id=service_id, **values)
        repository.add(session, service)
        outcome = "created"
    else:
        current = (await repository.areas_of(session, [service_id])).get(service_id, [])
        same_areas = {(a.kind, a.code) for a in current} == {(a.kind, a.code) for a in areas}
        if same_areas and all(getattr(service, k) == v for k, v in values.items()):
            return hsds.RecordOutcome(entity="service", id=service_id, outcome="unchanged")
        for name, value in values.items():
            setattr(service, name, value)
        service.version += 1
    await session.flush()
    await repository.replace_areas(session, service_id, areas)
    await session.flush()
    return hsds.RecordOutcome(entity="service", id=service_id, outcome=outcome)


def _organization_fields(record: hsds.Organization) -> dict[str, Any]:
    terms = _terms(record.attributes)
    active = terms.get(hsds.ORGANIZATION_ACTIVE, [("true", None)])[0][0]
    return {
        "name": record.name,
        "type": _one(terms, hsds.ORGANIZATION_TYPE),
        "languages": [code for code, _ in terms.get(hsds.ORGANIZATION_LANGUAGE, [])],
        "contact": next((value for _, value in terms.get(hsds.CONTACT, [])), None),
        "description": record.description or None,
        "email": record.email,
        "website": record.website,
        "active": active,
    }


def _service_fields(record: hsds.Service, where: str) -> dict[str, Any]:
    terms = _terms(record.attributes)
    sexes = [code for code, _ in terms.get(hsds.SEX_ELIGIBILITY, [])]
    limit = next((value for _, value in terms.get(hsds.OPEN_REFERRAL_LIMIT, [])), None)
    return {
        "service_type": _one(terms, hsds.SERVICE_TYPE),
        "name": record.name,
        # HSDS's `defunct` and `temporarily closed` both take no referrals: inactive here.
        "status": "active" if record.status == "active" else "inactive",
        "accepts_referrals": terms.get(hsds.ACCEPTS_REFERRALS, [("true", None)])[0][0],
        "languages": [language.code for language in record.languages],
        "min_age": record.minimum_age,
        "max_age": record.maximum_age,
        "sex_eligibility": sexes or "any",
        "open_referral_limit": limit,
        "description": record.description,
        "areas": [
            {
                "kind": _extent_kind(area.extent, f"{where}.service_areas.{i}.extent"),
                "code": area.extent,
            }
            for i, area in enumerate(record.service_areas)
        ],
    }


def _extent_kind(code: str, where: str) -> str:
    try:
        return directory_service.area_kind(code)
    except ValueError:
        raise _Rejected(
            [_problem(where, f"{code} is not KG, a region or a district code")]
        ) from None


def _terms(attributes: Sequence[hsds.Attribute]) -> dict[str, list[tuple[str, str | None]]]:
    found: dict[str, list[tuple[str, str | None]]] = {}
    for attribute in attributes:
        term = attribute.taxonomy_term
        found.setdefault(term.taxonomy, []).append((term.code, attribute.value))
    return found


def _one(terms: dict[str, list[tuple[str, str | None]]], taxonomy: str) -> str | None:
    values = terms.get(taxonomy, [])
    return values[0][0] if len(values) == 1 else None


def _validated(model: Any, raw: Any, where: str) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as invalid:
        raise _Rejected(
            [
                _problem(".".join([where, *(str(part) for part in error["loc"])]), error["msg"])
                for error in invalid.errors()
            ]
        ) from invalid


def _problem(field: str, message: str) -> hsds.RecordProblem:
    return hsds.RecordProblem(field=field, message=message)
