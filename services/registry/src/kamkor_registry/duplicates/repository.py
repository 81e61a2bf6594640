"""Every query of the duplicates domain, and the moving of rows from one record to another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from kamkor_common.auth import PlaceScope
from kamkor_registry.duplicates.models import CandidateStatus, DuplicateCandidate
from kamkor_registry.households.models import HouseholdMember, Person
from kamkor_registry.siblings.models import SiblingGroupMember


@dataclass(frozen=True)
class Move:
    """A column that names a person (or a household): on a merge, its rows follow."""

    table: str
    column: str


async def move_rows(
    session: AsyncSession, moves: Sequence[Move], *, from_id: str, to_id: str
) -> dict[str, int]:
    """Point every listed column that names `from_id` at `to_id`; rows moved per entry."""
    moved: dict[str, int] = {}
    for move in moves:
        table = SQLModel.metadata.tables[move.table]
        column = table.c[move.column]
        result = await session.execute(
            update(table).where(column == from_id).values({move.column: to_id})
        )
        moved[f"{move.table}.{move.column}"] = int(getattr(result, "rowcount", 0) or 0)
    # The rows changed under the session: loaded copies of them would answer stale values.
    names = {move.table for move in moves}
    for loaded in list(session.sync_session.identity_map.values()):
        if getattr(loaded, "__tablename__", None) in names:
            session.expunge(loaded)
    return moved


async def drop_person_clashes(session: AsyncSession, *, merged_id: str, kept_id: str) -> None:
    """Rows of the merged person that would repeat the kept person's once moved: a stay in a
    household the kept person has a stay in, a sibling group when the kept one has one."""
    kept_households = select(col(HouseholdMember.household_id)).where(
        col(HouseholdMember.person_id) == kept_id
    )
    await session.execute(
        delete(HouseholdMember).where(
            col(HouseholdMember.person_id) == merged_id,
            col(HouseholdMember.household_id).in_(kept_households.scalar_subquery()),
        )
    )
    kept_group = await session.scalar(
        select(func.count())
        .select_from(SiblingGroupMember)
        .where(col(SiblingGroupMember.person_id) == kept_id)
    )
    if kept_group:
        await session.execute(
            delete(SiblingGroupMember).where(col(SiblingGroupMember.person_id) == merged_id)
        )


async def drop_household_clashes(session: AsyncSession, *, merged_id: str, kept_id: str) -> None:
    """Stays in the merged household of people who have a stay in the kept one: theirs there
    stands."""
    in_kept = select(col(HouseholdMember.person_id)).where(
        col(HouseholdMember.household_id) == kept_id
    )
    await session.execute(
        delete(HouseholdMember).where(
            col(HouseholdMember.household_id) == merged_id,
            col(HouseholdMember.person_id).in_(in_kept.scalar_subquery()),
        )
    )


async def repoint_tombstones(
    session: AsyncSession, model: type[SQLModel], *, from_id: str, to_id: str
) -> None:
    """Records merged earlier into `from_id` now point at `to_id`: one hop always resolves."""
    merged_into = model.merged_into  # type: ignore[attr-defined]
    await session.execute(
        update(model).where(col(merged_into) == from_id).values(merged_into=to_id)
    )


async def add_candidates(session: AsyncSession, rows: Sequence[DuplicateCandidate]) -> None:
    if rows:
        session.add_all(rows)
        await session.flush()


async def get_candidate(
    session: AsyncSession, candidate_id: str, *, for_update: bool = False
) -> DuplicateCandidate | None:
    return await session.get(DuplicateCandidate, candidate_id, with_for_update=for_update)


async def list_candidates(
    session: AsyncSession,
    *,
    scope: PlaceScope,
    district: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[DuplicateCandidate], int]:
    """A page of pairs in the scope, oldest first (the queue's order), and the total."""
    query = select(DuplicateCandidate)
    if not scope.everywhere:
        query = query.where(col(DuplicateCandidate.region) == scope.region)
        if scope.districts:
            query = query.where(col(DuplicateCandidate.district).in_(scope.districts))
    if district is not None:
        query = query.where(col(DuplicateCandidate.district) == district)
    if status is not None:
        query = query.where(col(DuplicateCandidate.status) == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(
        query.order_by(col(DuplicateCandidate.created_at), col(DuplicateCandidate.id))
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def open_candidates_naming(
    session: AsyncSession, person_id: str, *, excluding: str
) -> list[DuplicateCandidate]:
    """Open pairs that name the person on either side, except one."""
    rows = await session.scalars(
        select(DuplicateCandidate)
        .where(
            col(DuplicateCandidate.status) == CandidateStatus.open,
            col(DuplicateCandidate.id) != excluding,
            or_(
                col(DuplicateCandidate.person_id) == person_id,
                col(DuplicateCandidate.candidate_person_id) == person_id,
            ),
        )
        .with_for_update()
    )
    return list(rows.all())


async def pair_exists(session: AsyncSession, a: str, b: str, *, excluding: str) -> bool:
    found = await session.scalar(
        select(func.count())
        .select_from(DuplicateCandidate)
        .where(
            col(DuplicateCandidate.id) != excluding,
            or_(
                and_(
                    col(DuplicateCandidate.person_id) == a,
                    col(DuplicateCandidate.candidate_person_id) == b,
                ),
                and_(
                    col(DuplicateCandidate.person_id) == b,
                    col(DuplicateCandidate.candidate_person_id) == a,
                ),
            ),
        )
    )
    return bool(found)


async def get_persons(
    session: AsyncSession, person_ids: Sequence[str], *, for_update: bool = False
) -> dict[str, Person]:
    """The persons, locked in id order when asked (so two merges never deadlock)."""
    query = (
        select(Person).where(col(Person.id).in_(sorted(set(person_ids)))).order_by(col(Person.id))
    )
    if for_update:
        query = query.with_for_update()
    rows = await session.scalars(query.execution_options(populate_existing=True))
    return {person.id: person for person in rows.all()}
