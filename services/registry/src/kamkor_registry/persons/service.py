"""The rules of reading and changing one person's record."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import NotFound, Unprocessable
from kamkor_common.reference.regions import age_on, local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.etag import check_version
from kamkor_registry.households import events as household_events
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service
from kamkor_registry.households.models import HouseholdMember, MigrationStatus, Person
from kamkor_registry.persons.pins import PIN_PATTERN, pin_warnings
from kamkor_registry.persons.schemas import PersonMembership, PersonRead, PersonUpdate
from kamkor_registry.search.normalise import fill_keys

REQUIRED = ("family_name", "given_name", "sex", "birth_date")


class PersonNotFound(NotFound):
    code = "person_not_found"
    title = "Person not found"


class InvalidMigration(Unprocessable):
    code = "invalid_migration"
    title = "Invalid parents' migration"


async def person_in_scope(
    *, session: AsyncSession, person_id: str, principal: Principal, for_update: bool = False
) -> tuple[Person, list[HouseholdMember]]:
    """The person and their stays, if one of their households lies in the principal's places."""
    person = await households_repository.get_person(session, person_id, for_update=for_update)
    stays = await households_repository.person_memberships(session, person_id)
    # A tombstone has no stays of its own: it is seen where the record it became is.
    placed = stays
    if person is not None and person.merged_into is not None:
        placed = await households_repository.person_memberships(session, person.merged_into)
    households = await households_repository.get_households(
        session, [stay.household_id for stay in placed]
    )
    scope = principal.place_scope()
    if person is None or not any(scope.allows(h.region, h.district) for h in households):
        raise PersonNotFound(f"no person {person_id}")
    return person, stays


def to_read(person: Person, stays: list[HouseholdMember], *, on: date) -> PersonRead:
    return PersonRead(
        **person.model_dump(exclude={"created_at", "updated_at"}),
        created_at=person.created_at,
        updated_at=person.updated_at,
        age=age_on(person.birth_date, on),
        memberships=[PersonMembership.model_validate(stay) for stay in stays],
        warnings=pin_warnings(person),
    )


async def get_person(
    *, session: AsyncSession, person_id: str, principal: Principal, purpose: str | None
) -> PersonRead:
    """One person's record with their stays and PIN warnings; the read is audited."""
    person, stays = await person_in_scope(session=session, person_id=person_id, principal=principal)
    _audit(session, principal, AuditAction.read, person, purpose)
    return to_read(person, stays, on=local_today())


def _check_fields(person: Person, changes: dict[str, Any], *, on: date) -> None:
    for name in REQUIRED:
        if name in changes and changes[name] is None:
            raise Unprocessable(f"{name} cannot be cleared", field=name)
    born = changes.get("birth_date")
    if born is not None and (problem := households_service.birth_date_problem(born, on=on)):
        raise households_service.InvalidBirthDate(f"birth_date: {problem}", field="birth_date")
    if (pin := changes.get("pin")) is not None and not PIN_PATTERN.fullmatch(pin):
        raise households_service.InvalidPin("pin: a PIN is 14 digits", field="pin")
    status = changes.get("migration_status", person.migration_status)
    country = changes.get("migration_country", person.migration_country)
    since = changes.get("migration_since", person.migration_since)
    # Never a silent fix: a country that no longer fits the status must be cleared by the caller.
    if status == MigrationStatus.abroad and country is None:
        raise InvalidMigration("a parent abroad needs migration_country", field="migration_country")
    if status == MigrationStatus.abroad and country == "KG":
        raise InvalidMigration("abroad means outside KG", field="migration_country")
    if status != MigrationStatus.abroad and country is not None:
        raise InvalidMigration(
            "migration_country is for a parent abroad; send it as null", field="migration_country"
        )
    if status is None and since is not None:
        raise InvalidMigration("migration_since needs a migration_status", field="migration_since")
    if since is not None and since > on:
        raise InvalidMigration("migration_since is in the future", field="migration_since")


async def _check_pin_free(session: AsyncSession, person: Person, pin: str | None) -> None:
    if pin is None or pin == person.pin:
        return
    taken = await households_repository.find_persons_by_pin(session, [pin])
    if taken:
        raise households_service.DuplicatePin(
            f"pin belongs to person {taken[0].id}", field="pin", person_id=taken[0].id
        )


async def update_person(
    *,
    session: AsyncSession,
    person_id: str,
    person_in: PersonUpdate,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> PersonRead:
    """Change a person's record if If-Match names its version; stage the events it causes."""
    person, stays = await person_in_scope(
        session=session, person_id=person_id, principal=principal, for_update=True
    )
    if person.merged_into is not None:
        raise households_service.RecordMerged(
            f"person {person_id} was merged into {person.merged_into}",
            merged_into=person.merged_into,
        )
    check_version(if_match, person.version)
    on = local_today()
    changes = person_in.model_dump(exclude_unset=True)
    _check_fields(person, changes, on=on)
    await _check_pin_free(session, person, changes.get("pin"))
    for name, value in changes.items():
        setattr(person, name, value)
    fill_keys(person)
    person.version += 1
    person.updated_at = utcnow()
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # Another record took the PIN between our check and our write.
        taken = await households_repository.find_persons_by_pin(session, [person_in.pin or ""])
        if not taken:
            raise
        raise households_service.DuplicatePin(
            f"pin belongs to person {taken[0].id}", field="pin", person_id=taken[0].id
        ) from None
    await stage_person_changed(session=session, person=person, stays=stays, on=on)
    _audit(session, principal, AuditAction.update, person, purpose)
    return to_read(person, stays, on=on)


async def stage_person_changed(
    *, session: AsyncSession, person: Person, stays: list[HouseholdMember], on: date
) -> None:
    """Each current household gets a new version and hears of it: child updated for a child,
    the household's updated snapshot for anyone else."""
    current = [stay for stay in stays if household_events.is_current(stay, on=on)]
    households = await households_repository.get_households(
        session, [stay.household_id for stay in current], for_update=True
    )
    for household in households:
        households_service.bump(household)
    await session.flush()
    by_id = {household.id: household for household in households}
    for stay in current:
        if stay.role == "child":
            household_events.stage_child_updated(session, stay, person)
        else:
            await households_service.stage_household_updated(
                session=session, household=by_id[stay.household_id], on=on
            )


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    person: Person,
    purpose: str | None,
) -> None:
    audit_service.record(
        session=session,
        principal=principal,
        action=action,
        touched=[audit_service.person(person.id)],
        purpose=purpose,
    )
