"""The rules of registering and reading households."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound, Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import (
    DISTRICTS_BY_CODE,
    age_on,
    local_today,
)
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.duplicates import detection
from kamkor_registry.duplicates.schemas import DuplicateHint
from kamkor_registry.etag import check_version
from kamkor_registry.households import events, repository
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.households.repository import Membership
from kamkor_registry.households.schemas import (
    HouseholdCreate,
    HouseholdList,
    HouseholdRead,
    HouseholdUpdate,
    MemberRead,
)
from kamkor_registry.persons.pins import PIN_PATTERN, pin_warnings
from kamkor_registry.places import RegionNotAllowed, check_in_scope, check_location
from kamkor_registry.search.normalise import fill_keys

EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "Household not found"


class InvalidPin(Unprocessable):
    code = "invalid_pin"
    title = "Invalid personal identification number"


class InvalidBirthDate(Unprocessable):
    code = "invalid_birth_date"
    title = "Invalid birth date"


class RecordMerged(Conflict):
    code = "record_merged"
    title = "The record was merged into another: change that one"


class DuplicatePin(Conflict):
    code = "duplicate_pin"
    title = "A person with this PIN is already registered"


def member_read(member: HouseholdMember, person: Person, *, on: date) -> MemberRead:
    """One membership with its person's record."""
    return MemberRead(
        person_id=person.id,
        role=member.role,
        family_name=person.family_name,
        given_name=person.given_name,
        patronymic=person.patronymic,
        sex=person.sex,
        birth_date=person.birth_date,
        pin=person.pin,
        age=age_on(person.birth_date, on),
        since=member.since,
        until=member.until,
        caregiver_person_id=member.caregiver_person_id,
        disability=person.disability,
        disability_support=person.disability_support,
        school_enrolment=person.school_enrolment,
        school=person.school,
        migration_status=person.migration_status,
        migration_country=person.migration_country,
        migration_since=person.migration_since,
        person_version=person.version,
    )


def to_read(
    household: Household,
    memberships: Sequence[Membership],
    *,
    on: date,
    duplicates: Sequence[DuplicateHint] = (),
) -> HouseholdRead:
    """The read model of a household with its members, their ages and open warnings."""
    members = [member_read(member, person, on=on) for member, person in memberships]
    return HouseholdRead(
        id=household.id,
        region=household.region,
        district=household.district,
        settlement=household.settlement,
        address=household.address,
        phone=household.phone,
        language=household.language,
        version=household.version,
        created_at=household.created_at,
        updated_at=household.updated_at,
        created_by=household.created_by,
        members=members,
        warnings=[warning for _, person in memberships for warning in pin_warnings(person)],
        merged_into=household.merged_into,
        duplicate_candidates=list(duplicates),
    )


def birth_date_problem(birth_date: date, *, on: date) -> str | None:
    if birth_date > on:
        return "birth date is in the future"
    if birth_date < EARLIEST_BIRTH_DATE:
        return "birth date is before 1900"
    return None


def _check_members(household_in: HouseholdCreate, *, on: date) -> None:
    dates = [
        {"field": f"members[{i}].birth_date", "message": problem}
        for i, member in enumerate(household_in.members)
        if (problem := birth_date_problem(member.birth_date, on=on))
    ]
    if dates:
        raise InvalidBirthDate(
            "; ".join(f"{e['field']}: {e['message']}" for e in dates), errors=dates
        )
    pins: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for i, member in enumerate(household_in.members):
        if member.pin is None:
            continue
        if not PIN_PATTERN.fullmatch(member.pin):
            pins.append({"field": f"members[{i}].pin", "message": "a PIN is 14 digits"})
        elif member.pin in seen:
            pins.append(
                {
                    "field": f"members[{i}].pin",
                    "message": f"the same PIN is given for members[{seen[member.pin]}]",
                }
            )
        else:
            seen[member.pin] = i
    if pins:
        raise InvalidPin("; ".join(f"{e['field']}: {e['message']}" for e in pins), errors=pins)


async def _check_pins_unused(session: AsyncSession, household_in: HouseholdCreate) -> None:
    pins = [member.pin for member in household_in.members if member.pin is not None]
    existing = await repository.find_persons_by_pin(session, pins)
    if existing:
        raise _duplicate(household_in, existing[0])


def _duplicate(household_in: HouseholdCreate, existing: Person) -> DuplicatePin:
    index = next(i for i, m in enumerate(household_in.members) if m.pin == existing.pin)
    return DuplicatePin(
        f"members[{index}].pin belongs to person {existing.id}",
        field=f"members[{index}].pin",
        person_id=existing.id,
    )


async def create_household(
    *,
    session: AsyncSession,
    household_in: HouseholdCreate,
    principal: Principal,
    purpose: str | None = None,
) -> HouseholdRead:
    """Register a household with its members and stage its registered event."""
    scope = principal.place_scope()
    check_location(household_in.region, household_in.district)
    check_in_scope(scope, household_in.region, household_in.district)
    on = local_today()
    _check_members(household_in, on=on)
    await _check_pins_unused(session, household_in)

    household = Household(
        region=household_in.region,
        district=household_in.district,
        settlement=household_in.settlement,
        address=household_in.address,
        phone=household_in.phone,
        language=household_in.language,
        created_by=principal.subject,
    )
    persons = [
        Person(
            family_name=member.family_name,
            given_name=member.given_name,
            patronymic=member.patronymic,
            sex=member.sex,
            birth_date=member.birth_date,
            pin=member.pin,
        )
        for member in household_in.members
    ]
    for person in persons:
        fill_keys(person)
    memberships = [
        HouseholdMember(household_id=household.id, person_id=person.id, role=member.role, since=on)
        for member, person in zip(household_in.members, persons, strict=True)
    ]
    await repository.add_household(session, household)
    try:
        async with session.begin_nested():
            await repository.add_persons(session, persons)
    except IntegrityError:
        # Another registration took the PIN between our check and our insert.
        pins = [p.pin for p in persons if p.pin is not None]
        taken = await repository.find_persons_by_pin(session, pins)
        if not taken:
            raise
        raise _duplicate(household_in, taken[0]) from None
    await repository.add_memberships(session, memberships)
    duplicates = await detection.record_candidates(
        session=session, persons=persons, household=household, principal=principal, purpose=purpose
    )

    ordered = sorted(zip(memberships, persons, strict=True), key=lambda mp: _member_order(mp[1]))
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.create,
        touched=[audit_service.household(household.id)]
        + [audit_service.person(p.id, household.id) for p in persons],
        purpose=purpose,
    )
    events.stage_household_registered(session, household, ordered)
    return to_read(household, ordered, on=on, duplicates=duplicates)


def _member_order(person: Person) -> tuple[date, str]:
    # The same order the repository reads members back in.
    return person.birth_date, person.id


async def household_in_scope(
    *, session: AsyncSession, household_id: str, principal: Principal, for_update: bool = False
) -> Household:
    """The household, if it lies within the principal's places; a service reads any."""
    household = await repository.get_household(session, household_id, for_update=for_update)
    # A service token reads at a person's request that its service has checked (DESIGN §1).
    visible = household is not None and (
        principal.role == "service"
        or principal.place_scope().allows(household.region, household.district)
    )
    # Records outside the reader's places answer like missing ones: existence is not leaked.
    if household is None or not visible:
        raise HouseholdNotFound(f"no household {household_id}")
    # A tombstone reads, but every change goes to the household it was merged into.
    if for_update and household.merged_into is not None:
        raise RecordMerged(
            f"household {household_id} was merged into {household.merged_into}",
            merged_into=household.merged_into,
        )
    return household


async def get_household(
    *, session: AsyncSession, household_id: str, principal: Principal, purpose: str | None = None
) -> HouseholdRead:
    """One household, if it lies within the places its reader may see; the read is audited."""
    household = await household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    memberships = await repository.list_memberships(session, [household.id])
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.read,
        touched=[audit_service.household(household.id)],
        purpose=purpose,
    )
    return to_read(household, memberships[household.id], on=local_today())


async def list_households(
    *,
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    district: str | None,
    page: PageParams,
    purpose: str | None = None,
) -> HouseholdList:
    """A page of households within the reader's places, optionally narrowed by a filter."""
    scope = principal.place_scope()
    check_location(region, district)
    # A filter naming a place outside the scope is refused rather than answered empty.
    if district is not None:
        check_in_scope(scope, DISTRICTS_BY_CODE[district].region, district)
    elif region is not None and not scope.everywhere and region != scope.region:
        raise RegionNotAllowed(f"you may list households only in region {scope.region}")
    households, total = await repository.list_households(
        session,
        scope=scope,
        region=region,
        district=district,
        limit=page.limit,
        offset=page.offset,
    )
    memberships = await repository.list_memberships(session, [h.id for h in households])
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.read,
        touched=[audit_service.household(h.id) for h in households],
        purpose=purpose,
    )
    on = local_today()
    return HouseholdList(
        items=[to_read(h, memberships[h.id], on=on) for h in households],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def stage_household_updated(
    *, session: AsyncSession, household: Household, on: date
) -> list[Membership]:
    """Stage the household's updated snapshot; returns its memberships as now recorded."""
    memberships = (await repository.list_memberships(session, [household.id]))[household.id]
    events.stage_household_updated(session, household, memberships, on=on)
    return memberships


def bump(household: Household) -> None:
    """A change of the household or of who lives in it: a new version (and ETag)."""
    household.version += 1
    household.updated_at = utcnow()


async def update_household(
    *,
    session: AsyncSession,
    household_id: str,
    household_in: HouseholdUpdate,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> HouseholdRead:
    """Change the household's facts if If-Match names its current version."""
    household = await household_in_scope(
        session=session, household_id=household_id, principal=principal, for_update=True
    )
    check_version(if_match, household.version)
    changes = household_in.model_dump(exclude_unset=True)
    for required in ("region", "district", "settlement", "address", "language"):
        if required in changes and changes[required] is None:
            raise Unprocessable(f"{required} cannot be cleared", field=required)
    region = changes.get("region", household.region)
    district = changes.get("district", household.district)
    check_location(region, district)
    # Moving the household elsewhere needs the right to work in the new place too.
    if principal.role != "service":
        check_in_scope(principal.place_scope(), region, district)
    for name, value in changes.items():
        setattr(household, name, value)
    bump(household)
    await session.flush()
    on = local_today()
    memberships = await stage_household_updated(session=session, household=household, on=on)
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.update,
        touched=[audit_service.household(household.id)],
        purpose=purpose,
    )
    return to_read(household, memberships, on=on)
