"""The rules of reviewing possible duplicates: listing, comparing, merging, dismissing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound, PreconditionFailed, Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.duplicates import events as duplicate_events
from kamkor_registry.duplicates import repository
from kamkor_registry.duplicates.models import CandidateStatus, DuplicateCandidate
from kamkor_registry.duplicates.repository import Move
from kamkor_registry.duplicates.schemas import (
    CandidateList,
    CandidateRead,
    PairPerson,
    PairRead,
)
from kamkor_registry.etag import check_version
from kamkor_registry.households import events as household_events
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service
from kamkor_registry.households.models import Household, Person
from kamkor_registry.households.schemas import HouseholdRead
from kamkor_registry.places import check_in_scope, check_location

# Every column that names a person: on a merge its rows move to the kept person.
# A new table that names a person is one more line here.
PERSON_MOVES: tuple[Move, ...] = (
    Move("household_members", "person_id"),
    Move("household_members", "caregiver_person_id"),
    Move("consents", "person_id"),
    Move("sibling_group_members", "person_id"),
)
# Every column that names a household: on a household merge its rows move to the kept one.
HOUSEHOLD_MOVES: tuple[Move, ...] = (
    Move("household_members", "household_id"),
    Move("consents", "household_id"),
    Move("home_visits", "household_id"),
)
# Facts the kept record takes from the merged one when it has none of its own, by group:
# a group moves whole, so that e.g. a migration status never pairs with another's country.
FACT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("patronymic",),
    ("disability", "disability_support"),
    ("school_enrolment", "school"),
    ("migration_status", "migration_country", "migration_since"),
)


class CandidateNotFound(NotFound):
    code = "duplicate_candidate_not_found"
    title = "Possible duplicate not found"


class CandidateDecided(Conflict):
    code = "duplicate_candidate_decided"
    title = "The pair was already merged or dismissed"


class InvalidKeep(Unprocessable):
    code = "invalid_keep"
    title = "Keep one of the pair's two records"


class PinsDiffer(Conflict):
    code = "pins_differ"
    title = "The two records have different PINs: they are two people"


class InvalidHouseholdMerge(Unprocessable):
    code = "invalid_household_merge"
    title = "These households cannot be merged"


def pair_etag(person: Person, candidate: Person) -> str:
    """The pair's ETag: both records' versions, so a change to either makes a merge stale."""
    return f'"{person.version}-{candidate.version}"'


def _check_pair_version(if_match: str, person: Person, candidate: Person) -> None:
    tags = [tag.strip().removeprefix("W/") for tag in if_match.split(",")]
    current = pair_etag(person, candidate)
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        f"the pair is at {current}, not {if_match[:50]}: read it again", current_etag=current
    )


async def _candidate_in_scope(
    session: AsyncSession, candidate_id: str, principal: Principal, *, for_update: bool = False
) -> DuplicateCandidate:
    candidate = await repository.get_candidate(session, candidate_id, for_update=for_update)
    # Outside the reader's places a pair answers like a missing one.
    if candidate is None or not principal.place_scope().allows(
        candidate.region, candidate.district
    ):
        raise CandidateNotFound(f"no possible duplicate {candidate_id}")
    return candidate


async def list_candidates(
    *,
    session: AsyncSession,
    principal: Principal,
    district: str | None,
    status: str | None,
    page: PageParams,
) -> CandidateList:
    """Pairs in the reviewer's places, oldest first; open ones unless a status is asked."""
    scope = principal.place_scope()
    if district is not None:
        check_location(None, district)
        check_in_scope(scope, DISTRICTS_BY_CODE[district].region, district)
    rows, total = await repository.list_candidates(
        session,
        scope=scope,
        district=district,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return CandidateList(
        items=[CandidateRead.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


async def _pair_person(session: AsyncSession, person: Person) -> PairPerson:
    on = local_today()
    stays = await households_repository.person_memberships(session, person.id)
    return PairPerson(
        id=person.id,
        family_name=person.family_name,
        given_name=person.given_name,
        patronymic=person.patronymic,
        sex=person.sex,
        birth_date=person.birth_date,
        pin=person.pin,
        version=person.version,
        merged_into=person.merged_into,
        household_ids=sorted(
            {s.household_id for s in stays if household_events.is_current(s, on=on)}
        ),
    )


async def _pair(session: AsyncSession, candidate: DuplicateCandidate) -> PairRead:
    persons = await repository.get_persons(
        session, [candidate.person_id, candidate.candidate_person_id]
    )
    person, other = persons[candidate.person_id], persons[candidate.candidate_person_id]
    return PairRead(
        candidate=CandidateRead.model_validate(candidate),
        person=await _pair_person(session, person),
        candidate_person=await _pair_person(session, other),
        etag=pair_etag(person, other),
    )


def _audit_pair(
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    candidate: DuplicateCandidate,
    purpose: str | None,
) -> None:
    audit_service.record(
        session=session,
        principal=principal,
        action=action,
        touched=[
            audit_service.person(candidate.person_id),
            audit_service.person(candidate.candidate_person_id),
        ],
        purpose=purpose,
    )


async def get_pair(
    *, session: AsyncSession, candidate_id: str, principal: Principal, purpose: str | None
) -> PairRead:
    """Both records of a pair side by side; reading them is audited."""
    candidate = await _candidate_in_scope(session, candidate_id, principal)
    _audit_pair(session, principal, AuditAction.read, candidate, purpose)
    return await _pair(session, candidate)


async def dismiss(
    *,
    session: AsyncSession,
    candidate_id: str,
    reason: str,
    principal: Principal,
    purpose: str | None,
) -> PairRead:
    """The two records are two people: the pair is closed with the reviewer's reason."""
    candidate = await _candidate_in_scope(session, candidate_id, principal, for_update=True)
    if candidate.status != CandidateStatus.open:
        raise CandidateDecided(f"the pair is already {candidate.status}", decided=candidate.status)
    _decide(candidate, CandidateStatus.dismissed, principal=principal, reason=reason)
    await session.flush()
    _audit_pair(session, principal, AuditAction.dismiss, candidate, purpose)
    return await _pair(session, candidate)


def _decide(
    candidate: DuplicateCandidate,
    status: CandidateStatus,
    *,
    principal: Principal,
    reason: str | None,
    kept: str | None = None,
) -> None:
    candidate.status = status
    candidate.decided_by = principal.subject
    candidate.decided_at = utcnow()
    candidate.decision_reason = reason
    candidate.kept_person_id = kept


def _take_facts(kept: Person, merged: Person) -> None:
    for group in FACT_GROUPS:
        if all(getattr(kept, name) is None for name in group):
            for name in group:
                setattr(kept, name, getattr(merged, name))


async def _follow_candidates(
    session: AsyncSession,
    *,
    merged: Person,
    kept: Person,
    candidate: DuplicateCandidate,
    principal: Principal,
) -> None:
    """Other open pairs naming the merged record now name the kept one; a pair that would
    join the kept record to itself, or repeat another pair, is closed as merged."""
    for other in await repository.open_candidates_naming(
        session, merged.id, excluding=candidate.id
    ):

        def follow(person_id: str) -> str:
            return kept.id if person_id == merged.id else person_id

        person_id, candidate_id = follow(other.person_id), follow(other.candidate_person_id)
        if person_id == candidate_id or await repository.pair_exists(
            session, person_id, candidate_id, excluding=other.id
        ):
            _decide(
                other,
                CandidateStatus.merged,
                principal=principal,
                reason=f"resolved by the merge of {merged.id} into {kept.id}",
                kept=kept.id,
            )
        else:
            other.person_id, other.candidate_person_id = person_id, candidate_id
        await session.flush()


async def merge_pair(
    *,
    session: AsyncSession,
    candidate_id: str,
    keep_person_id: str,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> PairRead:
    """Merge the pair into the record kept: its stays, consents and sibling group move there,
    facts it lacks are taken from the other, which stays as a tombstone pointing at it."""
    candidate = await _candidate_in_scope(session, candidate_id, principal, for_update=True)
    if candidate.status != CandidateStatus.open:
        raise CandidateDecided(f"the pair is already {candidate.status}", decided=candidate.status)
    pair = (candidate.person_id, candidate.candidate_person_id)
    if keep_person_id not in pair:
        raise InvalidKeep(f"keep_person_id is {pair[0]} or {pair[1]}", field="keep_person_id")
    persons = await repository.get_persons(session, pair, for_update=True)
    _check_pair_version(if_match, persons[pair[0]], persons[pair[1]])
    kept = persons[keep_person_id]
    merged = persons[pair[1] if keep_person_id == pair[0] else pair[0]]
    for person in (kept, merged):
        if person.merged_into is not None:
            raise households_service.RecordMerged(
                f"person {person.id} was merged into {person.merged_into}",
                merged_into=person.merged_into,
            )
    if kept.pin is not None and merged.pin is not None and kept.pin != merged.pin:
        raise PinsDiffer(f"persons {kept.id} and {merged.id} have different PINs")

    on = local_today()
    stays = [
        *await households_repository.person_memberships(session, kept.id),
        *await households_repository.person_memberships(session, merged.id),
    ]
    current = {s.household_id for s in stays if household_events.is_current(s, on=on)}
    households = await households_repository.get_households(
        session, sorted(current), for_update=True
    )
    await repository.drop_person_clashes(session, merged_id=merged.id, kept_id=kept.id)
    await repository.move_rows(session, PERSON_MOVES, from_id=merged.id, to_id=kept.id)
    await repository.repoint_tombstones(session, Person, from_id=merged.id, to_id=kept.id)

    pin = merged.pin
    _take_facts(kept, merged)
    merged.pin, merged.merged_into = None, kept.id
    now = utcnow()
    for person in (merged, kept):
        person.version += 1
        person.updated_at = now
    # The tombstone gives up its PIN before the kept record takes it (the PIN is unique).
    await session.flush()
    if kept.pin is None and pin is not None:
        kept.pin = pin
        await session.flush()

    _decide(candidate, CandidateStatus.merged, principal=principal, reason=None, kept=kept.id)
    await _follow_candidates(
        session, merged=merged, kept=kept, candidate=candidate, principal=principal
    )
    for household in households:
        households_service.bump(household)
    await session.flush()
    for household in households:
        duplicate_events.stage_person_merged(
            session, household_id=household.id, kept_id=kept.id, merged_id=merged.id
        )
        await households_service.stage_household_updated(
            session=session, household=household, on=on
        )
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.merge,
        touched=[audit_service.person(kept.id), audit_service.person(merged.id)],
        purpose=purpose,
    )
    return await _pair(session, candidate)


async def merge_households(
    *,
    session: AsyncSession,
    household_id: str,
    into_household_id: str,
    if_match: str,
    principal: Principal,
    purpose: str | None,
) -> HouseholdRead:
    """Merge a household registered twice into the one kept: its stays and consents move
    there and it stays as a tombstone pointing at it. If-Match is the merged household's."""
    if household_id == into_household_id:
        raise InvalidHouseholdMerge("a household merges into another", field="into_household_id")
    locked: dict[str, Household] = {}
    # Locked in id order, as every multi-household change is.
    for hid in sorted([household_id, into_household_id]):
        locked[hid] = await households_service.household_in_scope(
            session=session, household_id=hid, principal=principal, for_update=True
        )
    merged, kept = locked[household_id], locked[into_household_id]
    check_version(if_match, merged.version)
    if merged.region != kept.region:
        raise InvalidHouseholdMerge(
            f"household {merged.id} is in region {merged.region}, {kept.id} in {kept.region}",
            field="into_household_id",
        )
    await repository.drop_household_clashes(session, merged_id=merged.id, kept_id=kept.id)
    await repository.move_rows(session, HOUSEHOLD_MOVES, from_id=merged.id, to_id=kept.id)
    await repository.repoint_tombstones(session, Household, from_id=merged.id, to_id=kept.id)
    merged.merged_into = kept.id
    households_service.bump(merged)
    households_service.bump(kept)
    await session.flush()
    on = local_today()
    memberships = (await households_repository.list_memberships(session, [kept.id]))[kept.id]
    duplicate_events.stage_household_merged(session, kept, memberships, merged_id=merged.id, on=on)
    household_events.stage_household_updated(session, kept, memberships, on=on)
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.merge,
        touched=[audit_service.household(kept.id), audit_service.household(merged.id)],
        purpose=purpose,
    )
    return households_service.to_read(kept, memberships, on=on)
