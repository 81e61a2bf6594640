"""The rules of sibling groups: children of one family, possibly in several households."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.db import utcnow
from kamkor_common.errors import Conflict, NotFound, Unprocessable
from kamkor_common.reference.regions import local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.households import repository as households_repository
from kamkor_registry.households import service as households_service
from kamkor_registry.siblings import repository
from kamkor_registry.siblings.models import SiblingGroup, SiblingGroupMember
from kamkor_registry.siblings.schemas import (
    MeetingCreate,
    SiblingGroupCreate,
    SiblingGroupList,
    SiblingGroupRead,
    SiblingRead,
)


class SiblingGroupNotFound(NotFound):
    code = "sibling_group_not_found"
    title = "Sibling group not found"


class InvalidSiblings(Unprocessable):
    code = "invalid_siblings"
    title = "Invalid siblings"


class AlreadyInSiblingGroup(Conflict):
    code = "already_in_sibling_group"
    title = "A child is already in a sibling group"


class InvalidMeetingDate(Unprocessable):
    code = "invalid_meeting_date"
    title = "Invalid meeting date"


async def _visible(session: AsyncSession, principal: Principal, person_ids: list[str]) -> bool:
    """Whether one of the children lives in a household within the principal's places."""
    stays = await repository.current_child_stays(session, person_ids)
    households = await households_repository.get_households(
        session, [stay.household_id for stay in stays.values()]
    )
    scope = principal.place_scope()
    return any(scope.allows(h.region, h.district) for h in households)


async def _read(session: AsyncSession, group: SiblingGroup) -> SiblingGroupRead:
    person_ids = await repository.group_members(session, group.id)
    stays = await repository.current_child_stays(session, person_ids)
    siblings = [
        SiblingRead(
            person_id=person_id,
            household_id=stays[person_id].household_id if person_id in stays else None,
        )
        for person_id in person_ids
    ]
    homes = {s.household_id for s in siblings if s.household_id is not None}
    return SiblingGroupRead(
        id=group.id,
        siblings=siblings,
        separated=len(homes) > 1,
        last_met_on=group.last_met_on,
        created_at=group.created_at,
        created_by=group.created_by,
        updated_at=group.updated_at,
    )


def _audit(
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    group_id: str,
    person_ids: list[str],
    purpose: str | None,
) -> None:
    audit_service.record(
        session=session,
        principal=principal,
        action=action,
        touched=[("sibling_group", group_id, None, person_id) for person_id in person_ids],
        purpose=purpose,
    )


async def create_group(
    *,
    session: AsyncSession,
    group_in: SiblingGroupCreate,
    principal: Principal,
    purpose: str | None,
) -> SiblingGroupRead:
    """Group children as siblings; each must be a child the principal may see."""
    person_ids = list(dict.fromkeys(group_in.person_ids))
    if len(person_ids) != len(group_in.person_ids):
        raise InvalidSiblings("a child is named twice", field="person_ids")
    stays = await repository.current_child_stays(session, person_ids)
    households = {
        h.id: h
        for h in await households_repository.get_households(
            session, [s.household_id for s in stays.values()]
        )
    }
    scope = principal.place_scope()
    for i, person_id in enumerate(person_ids):
        stay = stays.get(person_id)
        home = households.get(stay.household_id) if stay is not None else None
        if home is None or not scope.allows(home.region, home.district):
            raise InvalidSiblings(
                f"person_ids[{i}]: no child {person_id} in your places", field=f"person_ids[{i}]"
            )
    taken = await repository.groups_of(session, person_ids)
    if taken:
        person_id, group_id = next(iter(taken.items()))
        raise AlreadyInSiblingGroup(
            f"child {person_id} is in sibling group {group_id}", group_id=group_id
        )
    _check_met_on(group_in.last_met_on)
    group = SiblingGroup(last_met_on=group_in.last_met_on, created_by=principal.subject)
    await repository.add_group(
        session,
        group,
        [SiblingGroupMember(group_id=group.id, person_id=person_id) for person_id in person_ids],
    )
    _audit(session, principal, AuditAction.create, group.id, person_ids, purpose)
    return await _read(session, group)


def _check_met_on(met_on: date | None) -> None:
    if met_on is not None and met_on > local_today():
        raise InvalidMeetingDate("a meeting date cannot be in the future", field="met_on")


async def _group_in_scope(
    session: AsyncSession, group_id: str, principal: Principal, *, for_update: bool = False
) -> tuple[SiblingGroup, list[str]]:
    group = await repository.get_group(session, group_id, for_update=for_update)
    person_ids = await repository.group_members(session, group_id) if group else []
    if group is None or not await _visible(session, principal, person_ids):
        raise SiblingGroupNotFound(f"no sibling group {group_id}")
    return group, person_ids


async def get_group(
    *, session: AsyncSession, group_id: str, principal: Principal, purpose: str | None
) -> SiblingGroupRead:
    """One sibling group, if one of its children lives within the reader's places."""
    group, person_ids = await _group_in_scope(session, group_id, principal)
    _audit(session, principal, AuditAction.read, group.id, person_ids, purpose)
    return await _read(session, group)


async def record_meeting(
    *,
    session: AsyncSession,
    group_id: str,
    meeting_in: MeetingCreate,
    principal: Principal,
    purpose: str | None,
) -> SiblingGroupRead:
    """The siblings met: keeps the latest meeting date (an older one changes nothing)."""
    group, person_ids = await _group_in_scope(session, group_id, principal, for_update=True)
    _check_met_on(meeting_in.met_on)
    if group.last_met_on is None or meeting_in.met_on > group.last_met_on:
        group.last_met_on = meeting_in.met_on
        group.updated_at = utcnow()
        await session.flush()
        _audit(session, principal, AuditAction.update, group.id, person_ids, purpose)
    return await _read(session, group)


async def list_for_household(
    *, session: AsyncSession, household_id: str, principal: Principal, purpose: str | None
) -> SiblingGroupList:
    """The sibling groups of the household's children."""
    await households_service.household_in_scope(
        session=session, household_id=household_id, principal=principal
    )
    children = await repository.household_children(session, household_id)
    group_ids = sorted(set((await repository.groups_of(session, children)).values()))
    groups = [await repository.get_group(session, group_id) for group_id in group_ids]
    items = [await _read(session, group) for group in groups if group is not None]
    for item in items:
        ids = [s.person_id for s in item.siblings]
        _audit(session, principal, AuditAction.read, item.id, ids, purpose)
    return SiblingGroupList(items=items)
