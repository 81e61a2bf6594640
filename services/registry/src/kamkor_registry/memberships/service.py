"""The rules of who lives where: joining, leaving, a child's caregiver, a child's move."""

from __future__ import annotations

from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.errors import Conflict, NotFound, Unprocessable
from kamkor_common.reference.regions import local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.duplicates import detection
from kamkor_registry.etag import check_version
from kamkor_registry.households import events as household_events
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service
from kamkor_registry.households.models import Household, HouseholdMember, Person
from kamkor_registry.households.schemas import HouseholdRead
from kamkor_registry.memberships import repository
from kamkor_registry.memberships.schemas import ChildMove, MemberAdd, MembershipUpdate
from kamkor_registry.persons.pins import PIN_PATTERN
from kamkor_registry.search.normalise import fill_keys

NEW_PERSON_FIELDS = ("family_name", "given_name", "sex", "birth_date")


class MembershipNotFound(NotFound):
    code = "membership_not_found"
    title = "The person does not live in this household"


class MemberPersonMissing(Unprocessable):
    code = "member_person_missing"
    title = "Name a registered person or give a new one's details"


class InvalidCaregiver(Unprocessable):
    code = "invalid_caregiver"
    title = "Invalid caregiver"


class InvalidMembershipDates(Unprocessable):
    code = "invalid_membership_dates"
    title = "Invalid membership dates"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "The person already lives in this household"


class ChildLivesElsewhere(Conflict):
    code = "child_lives_elsewhere"
    title = "The child lives in another household: move them instead"


class NotAChild(Unprocessable):
    code = "not_a_child"
    title = "Only a child's stay moves"


async def _household(
    session: AsyncSession, household_id: str, principal: Principal, if_match: str | None
) -> Household:
    household = await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal, for_update=True
    )
    if if_match is not None:
        check_version(if_match, household.version)
    return household


async def _check_caregiver(
    session: AsyncSession, *, household_id: str, child_id: str, caregiver_id: str | None
) -> None:
    """A child's caregiver is another current, grown-up member of the same household."""
    if caregiver_id is None:
        return
    stays = await repository.current_stays(
        session, person_id=caregiver_id, household_id=household_id
    )
    if caregiver_id == child_id or not stays or stays[0].role == "child":
        raise InvalidCaregiver(
            f"person {caregiver_id} is not a grown-up member of household {household_id}",
            field="caregiver_person_id",
        )


def _check_dates(since: date, until: date | None, *, on: date, field: str) -> None:
    if since > on or (until is not None and until > on):
        raise InvalidMembershipDates(f"{field} is in the future", field=field)
    if until is not None and until < since:
        raise InvalidMembershipDates(f"{field} is before the stay began ({since})", field=field)


async def _new_person(session: AsyncSession, member_in: MemberAdd, *, on: date) -> Person:
    missing = [name for name in NEW_PERSON_FIELDS if getattr(member_in, name) is None]
    if missing:
        raise MemberPersonMissing(f"a new member needs {', '.join(missing)}", field=missing[0])
    assert member_in.birth_date is not None
    assert member_in.family_name and member_in.given_name and member_in.sex
    if problem := households_service.birth_date_problem(member_in.birth_date, on=on):
        raise households_service.InvalidBirthDate(f"birth_date: {problem}", field="birth_date")
    if member_in.pin is not None:
        if not PIN_PATTERN.fullmatch(member_in.pin):
            raise households_service.InvalidPin("pin: a PIN is 14 digits", field="pin")
        taken = await households_repository.find_persons_by_pin(session, [member_in.pin])
        if taken:
            raise households_service.DuplicatePin(
                f"pin belongs to person {taken[0].id}", field="pin", person_id=taken[0].id
            )
    person = Person(
        family_name=member_in.family_name,
        given_name=member_in.given_name,
        patronymic=member_in.patronymic,
        sex=member_in.sex,
        birth_date=member_in.birth_date,
        pin=member_in.pin,
    )
    fill_keys(person)
    try:
        async with session.begin_nested():
            await households_repository.add_persons(session, [person])
    except IntegrityError:
        raise households_service.DuplicatePin(
            "pin belongs to another person", field="pin"
        ) from None
    return person


async def _existing_person(
    session: AsyncSession, member_in: MemberAdd, *, household_id: str
) -> Person:
    assert member_in.person_id is not None
    given = [name for name in NEW_PERSON_FIELDS if getattr(member_in, name) is not None]
    if given:
        raise MemberPersonMissing(f"give person_id or {given[0]}, not both", field="person_id")
    person = await households_repository.get_person(session, member_in.person_id)
    if person is None:
        raise MemberPersonMissing(f"no person {member_in.person_id}", field="person_id")
    if person.merged_into is not None:
        raise households_service.RecordMerged(
            f"person {person.id} was merged into {person.merged_into}",
            merged_into=person.merged_into,
        )
    stays = await repository.current_stays(session, person_id=person.id)
    if any(stay.household_id == household_id for stay in stays):
        raise AlreadyMember(f"person {person.id} already lives in household {household_id}")
    if member_in.role == "child" and any(stay.role == "child" for stay in stays):
        raise ChildLivesElsewhere(
            f"child {person.id} lives in household {stays[0].household_id}",
            household_id=stays[0].household_id,
        )
    return person


async def add_member(
    *,
    session: AsyncSession,
    household_id: str,
    member_in: MemberAdd,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> HouseholdRead:
    """A person joins the household: child registered for a child, else household updated."""
    household = await _household(session, household_id, principal, if_match)
    on = local_today()
    since = member_in.since or on
    _check_dates(since, None, on=on, field="since")
    created = member_in.person_id is None
    if member_in.person_id is not None:
        person = await _existing_person(session, member_in, household_id=household_id)
    else:
        person = await _new_person(session, member_in, on=on)
    if member_in.caregiver_person_id is not None and member_in.role != "child":
        raise InvalidCaregiver("only a child has a caregiver", field="caregiver_person_id")
    await _check_caregiver(
        session,
        household_id=household_id,
        child_id=person.id,
        caregiver_id=member_in.caregiver_person_id,
    )
    stay = HouseholdMember(
        household_id=household_id,
        person_id=person.id,
        role=member_in.role,
        since=since,
        caregiver_person_id=member_in.caregiver_person_id,
    )
    await repository.add_stay(session, stay)
    duplicates = (
        await detection.record_candidates(
            session=session,
            persons=[person],
            household=household,
            principal=principal,
            purpose=purpose,
        )
        if created
        else []
    )
    read = await _changed(session, household, stay, person, principal, purpose, on=on, new=True)
    return read.model_copy(update={"duplicate_candidates": duplicates})


async def update_membership(
    *,
    session: AsyncSession,
    household_id: str,
    person_id: str,
    membership_in: MembershipUpdate,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> HouseholdRead:
    """Change a current stay: its role, its end, or the child's caregiver."""
    household = await _household(session, household_id, principal, if_match)
    stays = await repository.current_stays(session, person_id=person_id, household_id=household_id)
    if not stays:
        raise MembershipNotFound(f"person {person_id} does not live in household {household_id}")
    stay = stays[0]
    on = local_today()
    changes = membership_in.model_dump(exclude_unset=True)
    if "role" in changes and changes["role"] is None:
        raise Unprocessable("role cannot be cleared", field="role")
    role = changes.get("role", stay.role)
    caregiver = changes.get("caregiver_person_id", stay.caregiver_person_id)
    if caregiver is not None and role != "child":
        raise InvalidCaregiver("only a child has a caregiver", field="caregiver_person_id")
    if "caregiver_person_id" in changes:
        await _check_caregiver(
            session, household_id=household_id, child_id=person_id, caregiver_id=caregiver
        )
    if changes.get("until") is not None:
        _check_dates(stay.since, changes["until"], on=on, field="until")
    for name, value in changes.items():
        setattr(stay, name, value)
    await session.flush()
    person = await households_repository.get_person(session, person_id)
    assert person is not None
    return await _changed(session, household, stay, person, principal, purpose, on=on, new=False)


async def _changed(
    session: AsyncSession,
    household: Household,
    stay: HouseholdMember,
    person: Person,
    principal: Principal,
    purpose: str | None,
    *,
    on: date,
    new: bool,
) -> HouseholdRead:
    households_service.bump(household)
    await session.flush()
    if stay.role == "child" and household_events.is_current(stay, on=on):
        stage_child = (
            household_events.stage_child_registered if new else household_events.stage_child_updated
        )
        stage_child(session, stay, person)
        memberships = (await households_repository.list_memberships(session, [household.id]))[
            household.id
        ]
    else:
        memberships = await households_service.stage_household_updated(
            session=session, household=household, on=on
        )
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.create if new else AuditAction.update,
        touched=[("membership", person.id, household.id, person.id)],
        purpose=purpose,
    )
    return households_service.to_read(household, memberships, on=on)


async def move_child(
    *,
    session: AsyncSession,
    person_id: str,
    move_in: ChildMove,
    principal: Principal,
    purpose: str | None,
) -> HouseholdRead:
    """End the child's stay in one household and begin one in another, the same day.

    Child moved goes to the new household's key, household updated to the old one's, so
    that each household's consumers see the change in order.
    """
    if move_in.from_household_id == move_in.to_household_id:
        raise InvalidMembershipDates(
            "the child moves to another household", field="to_household_id"
        )
    # Locked in id order, as every multi-household change does, so two moves never deadlock.
    first, second = sorted([move_in.from_household_id, move_in.to_household_id])
    locked = {
        household_id: await _household(session, household_id, principal, None)
        for household_id in (first, second)
    }
    source, target = locked[move_in.from_household_id], locked[move_in.to_household_id]
    stays = await repository.current_stays(session, person_id=person_id, household_id=source.id)
    if not stays:
        raise MembershipNotFound(f"person {person_id} does not live in household {source.id}")
    old = stays[0]
    if old.role != "child":
        raise NotAChild(f"person {person_id} is a {old.role} in household {source.id}")
    on = local_today()
    moved_on = move_in.moved_on or on
    _check_dates(old.since, moved_on, on=on, field="moved_on")
    await _check_caregiver(
        session,
        household_id=target.id,
        child_id=person_id,
        caregiver_id=move_in.caregiver_person_id,
    )
    old.until = moved_on
    new = HouseholdMember(
        household_id=target.id,
        person_id=person_id,
        role="child",
        since=moved_on,
        caregiver_person_id=move_in.caregiver_person_id,
    )
    try:
        async with session.begin_nested():
            await repository.add_stay(session, new)
    except IntegrityError:
        raise AlreadyMember(
            f"child {person_id} already had a stay in household {target.id} from {moved_on}"
        ) from None
    households_service.bump(source)
    households_service.bump(target)
    await session.flush()
    person = await households_repository.get_person(session, person_id)
    assert person is not None
    household_events.stage_child_moved(
        session, new, person, from_household_id=source.id, moved_on=moved_on
    )
    await households_service.stage_household_updated(session=session, household=source, on=on)
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.move,
        touched=[
            ("membership", person_id, source.id, person_id),
            ("membership", person_id, target.id, person_id),
        ],
        purpose=purpose,
    )
    memberships = await households_repository.list_memberships(session, [target.id])
    return households_service.to_read(target, memberships[target.id], on=on)
