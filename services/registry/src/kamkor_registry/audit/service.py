"""Recording who read or changed which record, and why; and reading that back."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.pagination import PageParams
from kamkor_registry.audit import repository
from kamkor_registry.audit.models import AuditAction, AuditEntry
from kamkor_registry.audit.schemas import AuditEntryList, AuditEntryRead

Touched = tuple[str, str, str | None, str | None]  # entity, entity id, household id, person id


def record(
    *,
    session: AsyncSession,
    principal: Principal,
    action: AuditAction,
    touched: Iterable[Touched],
    purpose: str | None,
) -> None:
    """Add one entry per record touched to the caller's transaction."""
    repository.add_entries(
        session,
        [
            AuditEntry(
                actor=principal.subject,
                role=principal.role,
                action=action,
                entity=entity,
                entity_id=entity_id,
                household_id=household_id,
                person_id=person_id,
                purpose=purpose,
            )
            for entity, entity_id, household_id, person_id in touched
        ],
    )


def household(household_id: str) -> Touched:
    return ("household", household_id, household_id, None)


def person(person_id: str, household_id: str | None = None) -> Touched:
    return ("person", person_id, household_id, person_id)


async def list_entries(
    *,
    session: AsyncSession,
    household_id: str | None,
    person_id: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    page: PageParams,
) -> AuditEntryList:
    """A page of the trail for auditors, newest first."""
    entries, total = await repository.list_entries(
        session,
        household_id=household_id,
        person_id=person_id,
        actor=actor,
        since=since,
        until=until,
        limit=page.limit,
        offset=page.offset,
    )
    return AuditEntryList(
        items=[AuditEntryRead.model_validate(e) for e in entries],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
