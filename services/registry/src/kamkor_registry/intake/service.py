"""The rules of bulk intake: taking a file in, and registering its rows in batches."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import KamkorError, NotFound, Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction, AuditEntry
from kamkor_registry.households import events as household_events
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households.models import Household, HouseholdMember, Person, new_id
from kamkor_registry.households.service import birth_date_problem
from kamkor_registry.intake import columns, repository
from kamkor_registry.intake import events as intake_events
from kamkor_registry.intake.columns import ColumnsProblem, IntakeRecord, RawRow, Rejection
from kamkor_registry.intake.models import (
    TRANSITIONS,
    FileFormat,
    IntakeJob,
    JobStatus,
    RowOutcome,
)
from kamkor_registry.intake.schemas import IntakeJobRead, IntakeRowList, IntakeRowRead
from kamkor_registry.persons.pins import pin_warnings
from kamkor_registry.places import check_in_scope, check_location
from kamkor_registry.search.normalise import name_keys

CHUNK_BYTES = 1024 * 1024
# Names repeat across a round: their keys are computed once.
cached_name_keys = lru_cache(maxsize=65536)(name_keys)
BATCH_ROWS = 1000


class IntakeJobNotFound(NotFound):
    code = "intake_job_not_found"
    title = "Intake job not found"


class IntakeColumns(Unprocessable):
    code = "intake_columns"
    title = "The file's columns are not the intake columns"


class IntakeEmpty(Unprocessable):
    code = "intake_empty"
    title = "The file is empty"


@dataclass(frozen=True)
class Upload:
    """An uploaded file spooled to disk, with its digest."""

    path: Path
    sha256: str
    size_bytes: int
    format: FileFormat
    filename: str | None = None


def spool_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _check_columns(upload: Upload) -> None:
    if upload.size_bytes == 0:
        raise IntakeEmpty("the file has no rows")
    if upload.format is not FileFormat.csv:
        return
    import csv

    with upload.path.open(encoding="utf-8-sig", errors="replace", newline="") as f:
        header = next(csv.reader(f), [])
    try:
        columns.check_header(header)
    except ColumnsProblem as exc:
        raise IntakeColumns(str(exc), errors=[{"field": "header", "message": str(exc)}]) from None


def _principal(job: IntakeJob) -> Principal:
    return Principal(
        subject=job.created_by, role=job.role, region=job.region, districts=job.districts
    )


def to_read(job: IntakeJob) -> IntakeJobRead:
    return IntakeJobRead.model_validate(job)


async def create_job(
    *, session: AsyncSession, upload: Upload, principal: Principal, purpose: str | None
) -> tuple[IntakeJobRead, bool]:
    """A job for the file, or the job of the same file uploaded before (then False)."""
    principal.place_scope()  # a writer without places registers nobody
    existing = await repository.job_by_sha256(session, upload.sha256)
    if existing is not None:
        return to_read(existing), False
    _check_columns(upload)
    job = IntakeJob(
        sha256=upload.sha256,
        format=upload.format,
        filename=upload.filename,
        size_bytes=upload.size_bytes,
        created_by=principal.subject,
        role=principal.role,
        region=principal.region,
        districts=list(principal.districts),
        purpose=purpose,
    )
    try:
        async with session.begin_nested():
            await repository.add_job(session, job)
    except IntegrityError:
        # The same file was uploaded at the same moment: that job is this one.
        existing = await repository.job_by_sha256(session, upload.sha256)
        if existing is None:
            raise
        return to_read(existing), False
    with upload.path.open("rb") as f:
        seq = 0
        while chunk := f.read(CHUNK_BYTES):
            await repository.add_chunk(session, job.id, seq, chunk)
            seq += 1
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.create,
        touched=[("intake_job", job.id, None, None)],
        purpose=purpose,
    )
    return to_read(job), True


def _may_read(job: IntakeJob, principal: Principal) -> bool:
    if principal.role == "admin" or principal.subject == job.created_by:
        return True
    # A supervisor reads the reports of the jobs uploaded in her region.
    return (
        principal.role == "supervisor"
        and job.region is not None
        and (principal.region == job.region)
    )


async def _readable_job(session: AsyncSession, job_id: str, principal: Principal) -> IntakeJob:
    job = await repository.get_job(session, job_id)
    if job is None or not _may_read(job, principal):
        raise IntakeJobNotFound(f"no intake job {job_id}")
    return job


async def get_job(*, session: AsyncSession, job_id: str, principal: Principal) -> IntakeJobRead:
    """A job's state and counts, for its uploader, admins and the region's supervisors."""
    return to_read(await _readable_job(session, job_id, principal))


async def list_rows(
    *,
    session: AsyncSession,
    job_id: str,
    principal: Principal,
    outcome: RowOutcome | None,
    page: PageParams,
) -> IntakeRowList:
    """A page of the job's per-row report, in file order."""
    job = await _readable_job(session, job_id, principal)
    rows, total = await repository.list_rows(
        session, job.id, outcome=outcome, limit=page.limit, offset=page.offset
    )
    return IntakeRowList(
        items=[IntakeRowRead.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def move(job: IntakeJob, status: JobStatus) -> None:
    """Change the job's status along the one table of its lifecycle."""
    if status not in TRANSITIONS[JobStatus(job.status)]:
        raise ValueError(f"an intake job cannot go from {job.status} to {status}")
    job.status = status


# --- registering a batch of rows ---------------------------------------------------


@dataclass
class Counts:
    read: int = 0
    committed: int = 0
    matched: int = 0
    rejected: int = 0


NameKey = tuple[str, str, str, date]  # household id, family key, given key, birth date


@dataclass
class _Batch:
    """What one batch knows and creates, in memory until its single insert."""

    on: date
    refs: dict[tuple[str, str], str]
    pins: dict[str, tuple[str, date]]
    names: dict[NameKey, str]
    members: set[tuple[str, str]]
    households: dict[str, dict[str, Any]] = field(default_factory=dict)
    persons: list[dict[str, Any]] = field(default_factory=list)
    stays: list[dict[str, Any]] = field(default_factory=list)
    new_refs: list[dict[str, str]] = field(default_factory=list)
    # Household id -> (role, person row) of those who joined it in this batch.
    joined: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Matched by PIN: the child's household is looked up once for the batch.
    pin_matched: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def _reject(number: int, problem: Rejection) -> dict[str, Any]:
    return {
        "outcome": RowOutcome.rejected,
        "row_number": number,
        "household_id": None,
        "person_id": None,
        "reason_code": problem.code,
        "message": problem.message[:1000],
        "warnings": [],
    }


def _result(number: int, outcome: RowOutcome, household_id: str | None, person_id: str) -> dict:
    return {
        "outcome": outcome,
        "row_number": number,
        "household_id": household_id,
        "person_id": person_id,
        "reason_code": None,
        "message": None,
        "warnings": [],
    }


def _check(record: IntakeRecord, principal: Principal, on: date) -> Rejection | None:
    try:
        check_location(record.region, record.district)
        check_in_scope(principal.place_scope(), record.region, record.district)
    except KamkorError as exc:
        return Rejection(exc.code, str(exc.detail or exc.title))
    for name in ("birth_date", "caregiver_birth_date"):
        value = getattr(record, name)
        if value is not None and (problem := birth_date_problem(value, on=on)):
            return Rejection("invalid_birth_date", f"{name}: {problem}")
    return None


def _pin_conflict(
    batch: _Batch, pin: str | None, birth_date: date | None, what: str
) -> Rejection | None:
    if pin is None or pin not in batch.pins:
        return None
    person_id, recorded = batch.pins[pin]
    if birth_date is None or recorded == birth_date:
        return None
    return Rejection(
        "pin_conflict",
        f"the {what}'s PIN belongs to person {person_id}, born {recorded.isoformat()}, "
        f"not {birth_date.isoformat()}",
    )


def _person_row(**facts: Any) -> dict[str, Any]:
    """A persons row as the ORM would write it, with its search keys (search.normalise)."""
    keys = cached_name_keys(facts["family_name"], facts["given_name"])
    return {
        "id": new_id(),
        "patronymic": None,
        "pin": None,
        "disability": None,
        "disability_support": None,
        "school_enrolment": None,
        "school": None,
        "migration_status": None,
        "migration_country": None,
        "migration_since": None,
        **facts,
        "family_key": keys.family,
        "given_key": keys.given,
        "full_key": keys.full,
        "version": 1,
        "created_at": utcnow(),
        "updated_at": None,
        "merged_into": None,
    }


def _stay(batch: _Batch, household_id: str, person_id: str, role: str) -> dict[str, Any]:
    stay = {
        "household_id": household_id,
        "person_id": person_id,
        "role": role,
        "since": batch.on,
        "until": None,
        "caregiver_person_id": None,
    }
    batch.stays.append(stay)
    batch.members.add((household_id, person_id))
    return stay


def _new_person(batch: _Batch, household_id: str, role: str, **facts: Any) -> dict[str, Any]:
    person = _person_row(**facts)
    batch.persons.append(person)
    _stay(batch, household_id, person["id"], role)
    batch.joined[household_id].append((role, person))
    key = (household_id, person["family_key"], person["given_key"], person["birth_date"])
    batch.names[key] = person["id"]
    if person["pin"] is not None:
        batch.pins[person["pin"]] = (person["id"], person["birth_date"])
    return person


def _warnings(person: dict[str, Any]) -> list[dict[str, str]]:
    """PIN checks as the API gives them: warnings, the PIN kept as written."""
    if person["pin"] is None:
        return []
    record = SimpleNamespace(
        id=person["id"], sex=person["sex"], birth_date=person["birth_date"], pin=person["pin"]
    )
    return [w.model_dump() for w in pin_warnings(record)]  # type: ignore[arg-type]


def _name_key(household_id: str, family_name: str, given_name: str, birth_date: date) -> NameKey:
    keys = cached_name_keys(family_name, given_name)
    return household_id, keys.family, keys.given, birth_date


def _register(
    batch: _Batch, number: int, record: IntakeRecord, principal: Principal
) -> dict[str, Any]:
    """One valid row: match the child, or register them (and household, caregiver)."""
    for pin, born, what in (
        (record.pin, record.birth_date, "child"),
        (record.caregiver_pin, record.caregiver_birth_date, "caregiver"),
    ):
        if conflict := _pin_conflict(batch, pin, born, what):
            return _reject(number, conflict)
    if record.pin is not None and record.pin in batch.pins:
        result = _result(number, RowOutcome.matched_existing, None, batch.pins[record.pin][0])
        batch.pin_matched.append((result, result["person_id"]))
        return result
    ref_key = (record.district, record.household_ref)
    household_id = batch.refs.get(ref_key)
    if household_id is not None:
        key = _name_key(household_id, record.family_name, record.given_name, record.birth_date)
        if (matched := batch.names.get(key)) is not None:
            return _result(number, RowOutcome.matched_existing, household_id, matched)
    if household_id is None:
        now = utcnow()
        household_id = new_id()
        household = {
            "id": household_id,
            "region": record.region,
            "district": record.district,
            "settlement": record.settlement,
            "address": record.address,
            "phone": record.phone,
            "language": record.language,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "created_by": principal.subject,
            "merged_into": None,
        }
        batch.households[household_id] = household
        batch.refs[ref_key] = household_id
        batch.new_refs.append(
            {"district": record.district, "ref": record.household_ref, "household_id": household_id}
        )
    caregiver_id: str | None = None
    warnings: list[dict[str, str]] = []
    if record.has_caregiver:
        assert record.caregiver_family_name and record.caregiver_given_name
        assert record.caregiver_birth_date and record.caregiver_sex
        if record.caregiver_pin is not None and record.caregiver_pin in batch.pins:
            caregiver_id = batch.pins[record.caregiver_pin][0]
        else:
            caregiver_id = batch.names.get(
                _name_key(
                    household_id,
                    record.caregiver_family_name,
                    record.caregiver_given_name,
                    record.caregiver_birth_date,
                )
            )
        role = record.caregiver_role or "caregiver"
        if caregiver_id is None:
            caregiver = _new_person(
                batch,
                household_id,
                role,
                family_name=record.caregiver_family_name,
                given_name=record.caregiver_given_name,
                patronymic=record.caregiver_patronymic,
                sex=record.caregiver_sex,
                birth_date=record.caregiver_birth_date,
                pin=record.caregiver_pin,
            )
            caregiver_id = caregiver["id"]
            warnings += _warnings(caregiver)
        elif (household_id, caregiver_id) not in batch.members:
            # Someone on record (by PIN) cares for the child here: a stay of theirs begins.
            _stay(batch, household_id, caregiver_id, role)
    child = _new_person(
        batch,
        household_id,
        "child",
        family_name=record.family_name,
        given_name=record.given_name,
        patronymic=record.patronymic,
        sex=record.sex,
        birth_date=record.birth_date,
        pin=record.pin,
        disability=record.disability,
        school_enrolment=record.school_enrolment,
        school=record.school,
    )
    batch.stays[-1]["caregiver_person_id"] = caregiver_id
    result = _result(number, RowOutcome.committed, household_id, child["id"])
    result["warnings"] = warnings + _warnings(child)
    return result


async def _batch_state(session: AsyncSession, records: Sequence[IntakeRecord], on: date) -> _Batch:
    refs = await repository.refs_for(session, [r.household_ref for r in records])
    pins_wanted = [p for r in records for p in (r.pin, r.caregiver_pin) if p is not None]
    found = await repository.persons_by_pin(session, pins_wanted)
    # A PIN of a merged record resolves to the record kept.
    pins = {pin: (merged or pid, born) for pin, (pid, _sex, born, merged) in found.items()}
    names: dict[NameKey, str] = {}
    members: set[tuple[str, str]] = set()
    for household_id, person_id, family_key, given_key, born in await repository.members_of(
        session, list(refs.values())
    ):
        names[(household_id, family_key, given_key, born)] = person_id
        members.add((household_id, person_id))
    return _Batch(on=on, refs=refs, pins=pins, names=names, members=members)


async def process_batch(
    *, session: AsyncSession, job: IntakeJob, rows: Sequence[RawRow], on: date
) -> Counts:
    """Register one batch of rows in the caller's transaction; every row gets a result."""
    principal = _principal(job)
    results: list[dict[str, Any]] = []
    valid: list[tuple[int, IntakeRecord]] = []
    for row in rows:
        if row.problem is not None or row.values is None:
            results.append(_reject(row.number, row.problem or Rejection("invalid_row", "")))
            continue
        parsed = columns.parse(row.values)
        if isinstance(parsed, Rejection):
            results.append(_reject(row.number, parsed))
        elif problem := _check(parsed, principal, on):
            results.append(_reject(row.number, problem))
        else:
            valid.append((row.number, parsed))
    batch = await _batch_state(session, [record for _, record in valid], on)
    existing_households = set(batch.refs.values())
    results += [_register(batch, number, record, principal) for number, record in valid]
    if batch.pin_matched:
        homes = await repository.current_households(
            session, [person_id for _, person_id in batch.pin_matched]
        )
        for result, person_id in batch.pin_matched:
            result["household_id"] = homes.get(person_id)
    now = utcnow()
    await repository.insert_rows(session, Household, list(batch.households.values()))
    await repository.insert_rows(session, Person, batch.persons)
    await repository.insert_rows(session, HouseholdMember, batch.stays)
    await repository.add_refs(session, batch.new_refs)
    for result in results:
        result["job_id"] = job.id
    results.sort(key=lambda r: r["row_number"])
    await repository.add_row_results(session, results)
    await _stage_events(session, batch, existing_households, on=on)
    await repository.insert_rows(session, AuditEntry, _audit(batch, job))
    counts = Counts(read=len(rows))
    for result in results:
        if result["outcome"] == RowOutcome.committed:
            counts.committed += 1
        elif result["outcome"] == RowOutcome.matched_existing:
            counts.matched += 1
        else:
            counts.rejected += 1
    job.rows_read += counts.read
    job.rows_committed += counts.committed
    job.rows_matched += counts.matched
    job.rows_rejected += counts.rejected
    job.heartbeat_at = now
    await session.flush()
    return counts


async def _stage_events(
    session: AsyncSession, batch: _Batch, existing: set[str], *, on: date
) -> None:
    """The events the API publishes for the same changes: one registered event per new
    household; a child joining a household on record, as when added by hand."""
    registered = []
    for household_id, household in batch.households.items():
        joined = sorted(
            batch.joined[household_id], key=lambda rp: (rp[1]["birth_date"], rp[1]["id"])
        )
        registered.append(intake_events.household_registered(household, joined))
    await intake_events.stage_registered(session, registered)
    touched = sorted({stay["household_id"] for stay in batch.stays} & existing)
    if not touched:
        return
    await repository.bump_households(session, touched, utcnow())
    households = await households_repository.get_households(session, touched)
    memberships = await households_repository.list_memberships(session, touched)
    new_children = {
        p["id"] for hid in touched for role, p in batch.joined.get(hid, []) if role == "child"
    }
    for on_record in households:
        for stay, person in memberships[on_record.id]:
            if person.id in new_children:
                household_events.stage_child_registered(session, stay, person)
        household_events.stage_household_updated(
            session, on_record, memberships[on_record.id], on=on
        )


def _audit(batch: _Batch, job: IntakeJob) -> list[dict[str, Any]]:
    """Who registered each household and person: the uploader, with the job's purpose."""
    purpose = (job.purpose or f"intake job {job.id}")[:200]
    now = utcnow()

    def entry(
        entity: str, entity_id: str, household_id: str, person_id: str | None
    ) -> dict[str, Any]:
        return {
            "id": new_id(),
            "at": now,
            "actor": job.created_by,
            "role": job.role,
            "action": AuditAction.create,
            "entity": entity,
            "entity_id": entity_id,
            "household_id": household_id,
            "person_id": person_id,
            "purpose": purpose,
        }

    entries = [entry("household", hid, hid, None) for hid in batch.households]
    created = {p["id"] for p in batch.persons}
    entries += [
        entry("person", stay["person_id"], stay["household_id"], stay["person_id"])
        for stay in batch.stays
        if stay["person_id"] in created
    ]
    return entries
