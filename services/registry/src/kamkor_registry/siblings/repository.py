"""Every query of the sibling groups domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_registry.households.models import HouseholdMember
from kamkor_registry.siblings.models import SiblingGroup, SiblingGroupMember


async def add_group(
    session: AsyncSession, group: SiblingGroup, members: Sequence[SiblingGroupMember]
) -> None:
    session.add(group)
    await session.flush()
    session.add_all(members)
    await session.flush()


async def get_group(
    session: AsyncSession, group_id: str, *, for_update: bool = False
) -> SiblingGroup | None:
    return await session.get(SiblingGroup, group_id, with_for_update=for_update)


async def group_members(session: AsyncSession, group_id: str) -> list[str]:
    rows = await session.scalars(
        select(col(SiblingGroupMember.person_id))
        .where(col(SiblingGroupMember.group_id) == group_id)
        .order_by(col(SiblingGroupMember.person_id))
    )
    return list(rows.all())


async def groups_of(session: AsyncSession, person_ids: Sequence[str]) -> dict[str, str]:
    """The group of each of the persons that has one."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(col(SiblingGroupMember.person_id), col(SiblingGroupMember.group_id)).where(
            col(SiblingGroupMember.person_id).in_(person_ids)
        )
    )
    return {person_id: group_id for person_id, group_id in rows.all()}


async def current_child_stays(
    session: AsyncSession, person_ids: Sequence[str]
) -> dict[str, HouseholdMember]:
    """Each person's current stay as a child, where there is one."""
    if not person_ids:
        return {}
    rows = await session.scalars(
        select(HouseholdMember).where(
            col(HouseholdMember.person_id).in_(person_ids),
            col(HouseholdMember.role) == "child",
            col(HouseholdMember.until).is_(None),
        )
    )
    return {stay.person_id: stay for stay in rows.all()}


async def household_children(session: AsyncSession, household_id: str) -> list[str]:
    rows = await session.scalars(
        select(col(HouseholdMember.person_id)).where(
            col(HouseholdMember.household_id) == household_id,
            col(HouseholdMember.role) == "child",
            col(HouseholdMember.until).is_(None),
        )
    )
    return list(rows.all())
