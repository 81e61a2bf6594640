"""The rules of registering and reading households."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import PlaceScope, Principal
from kamkor_common.errors import Conflict, Forbidden, NotFound, Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import (
    DISTRICTS_BY_CODE,
    REGIONS_BY_CODE,
    age_on,
    local_today,
)
from kamkor_registry.households import events, repository
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.households.repository import Membership
from kamkor_registry.households.schemas import (
    HouseholdCreate,
    HouseholdList,
    HouseholdRead,
    MemberRead,
    RecordWarning,
)

EARLIEST_BIRTH_DATE = date(1900, 1, 1)
PIN_PATTERN = re.compile(r"\d{14}")


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    title = "Household not found"


class UnknownLocation(Unprocessable):
    code = "unknown_location"
    title = "Unknown region or district"


class InvalidPin(Unprocessable):
    code = "invalid_pin"
    title = "Invalid personal identification number"


class InvalidBirthDate(Unprocessable):
    code = "invalid_birth_date"
    title = "Invalid birth date"


class DuplicatePin(Conflict):
    code = "duplicate_pin"
    title = "A person with this PIN is already registered"


class RegionNotAllowed(Forbidden):
    code = "region_not_allowed"
    title = "Region not allowed"


def pin_birth_date(pin: str) -> date | None:
    """The birth date a PIN encodes in digits 2-9 (DDMMYYYY), or None if they are no date."""
    try:
        return date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3]))
    except ValueError:
        return None


def pin_warnings(person: Person) -> list[RecordWarning]:
    """A PIN that disagrees with the recorded birth date is kept as given, but flagged."""
    if person.pin is None:
        return []
    encoded = pin_birth_date(person.pin)
    if encoded == person.birth_date:
        return []
    if encoded is None:
        message = f"PIN digits 2-9 ({person.pin[1:9]}) are not a date (DDMMYYYY)"
    else:
        message = (
            f"PIN encodes birth date {encoded.isoformat()}, "
            f"but the recorded birth date is {person.birth_date.isoformat()}"
        )
    return [
        RecordWarning(
            code="pin_birth_date_mismatch", person_id=person.id, field="pin", message=message
        )
    ]


def to_read(household: Household, memberships: Sequence[Membership], *, on: date) -> HouseholdRead:
    """The read model of a household with its members, their ages and open warnings."""
    members = [
        MemberRead(
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
        )
        for member, person in memberships
    ]
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
    )


def _check_in_scope(scope: PlaceScope, region: str, district: str) -> None:
    if scope.allows(region, district):
        return
    if region != scope.region:
        raise RegionNotAllowed(f"you may work only in region {scope.region}")
    raise RegionNotAllowed(
        f"district {district} is not one of your districts ({', '.join(scope.districts)})"
    )


def _check_location(region: str | None, district: str | None) -> None:
    if region is not None and region not in REGIONS_BY_CODE:
        raise UnknownLocation(
            f"unknown region {region!r}",
            field="region",
            errors=[{"field": "region", "message": f"unknown region {region!r}"}],
        )
    if district is None:
        return
    known = DISTRICTS_BY_CODE.get(district)
    if known is None:
        message = f"unknown district {district!r}"
    elif region is not None and known.region != region:
        message = f"district {district} lies in region {known.region}, not {region}"
    else:
        return
    raise UnknownLocation(
        message, field="district", errors=[{"field": "district", "message": message}]
    )


def _birth_date_problem(birth_date: date, *, on: date) -> str | None:
    if birth_date > on:
        return "birth date is in the future"
    if birth_date < EARLIEST_BIRTH_DATE:
        return "birth date is before 1900"
    return None


def _check_members(household_in: HouseholdCreate, *, on: date) -> None:
    dates = [
        {"field": f"members[{i}].birth_date", "message": problem}
        for i, member in enumerate(household_in.members)
        if (problem := _birth_date_problem(member.birth_date, on=on))
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
    *, session: AsyncSession, household_in: HouseholdCreate, principal: Principal
) -> HouseholdRead:
    """Register a household with its members and stage its registered event."""
    scope = principal.place_scope()
    _check_location(household_in.region, household_in.district)
    _check_in_scope(scope, household_in.region, household_in.district)
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

    ordered = sorted(zip(memberships, persons, strict=True), key=lambda mp: _member_order(mp[1]))
    events.stage_household_registered(session, household, ordered)
    return to_read(household, ordered, on=on)


def _member_order(person: Person) -> tuple[date, str]:
    # The same order the repository reads members back in.
    return person.birth_date, person.id


async def get_household(
    *, session: AsyncSession, household_id: str, principal: Principal
) -> HouseholdRead:
    """One household, if it lies within the places its reader may see."""
    scope = principal.place_scope()
    household = await repository.get_household(session, household_id)
    # Records outside the reader's places answer like missing ones: existence is not leaked.
    if household is None or not scope.allows(household.region, household.district):
        raise HouseholdNotFound(f"no household {household_id}")
    memberships = await repository.list_memberships(session, [household.id])
    return to_read(household, memberships[household.id], on=local_today())


async def list_households(
    *,
    session: AsyncSession,
    principal: Principal,
    region: str | None,
    district: str | None,
    page: PageParams,
) -> HouseholdList:
    """A page of households within the reader's places, optionally narrowed by a filter."""
    scope = principal.place_scope()
    _check_location(region, district)
    # A filter naming a place outside the scope is refused rather than answered empty.
    if district is not None:
        _check_in_scope(scope, DISTRICTS_BY_CODE[district].region, district)
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
    on = local_today()
    return HouseholdList(
        items=[to_read(h, memberships[h.id], on=on) for h in households],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
