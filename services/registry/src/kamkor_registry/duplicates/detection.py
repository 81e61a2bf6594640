"""Finding, at registration, the people already on record whom a new person may duplicate.

The names are matched by the person search (search.service.find), not by a matcher of its
own: the same keys across Cyrillic and Latin, the same trigram or blocking path.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import PlaceScope, Principal
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.duplicates import repository
from kamkor_registry.duplicates.models import DuplicateCandidate
from kamkor_registry.duplicates.schemas import DuplicateHint
from kamkor_registry.households.models import Household, Person
from kamkor_registry.search import normalise
from kamkor_registry.search import service as search_service
from kamkor_registry.search.repository import Filters, Found

# The most candidates kept for one new person: the best-named ones.
MAX_CANDIDATES = 5
SIMILAR_NAME = "similar_name"
SAME_BIRTH_DATE = "same_birth_date"
SAME_DISTRICT = "same_district"
SAME_SEX = "same_sex"
DIFFERENT_SEX = "different_sex"


def _is_candidate(person: Person, found: Found, new_ids: set[str]) -> bool:
    other = found.person
    if other.id in new_ids or other.merged_into is not None:
        return False
    # Two different PINs are two people, however alike their names.
    return person.pin is None or other.pin is None or person.pin == other.pin


def _reasons(person: Person, other: Person) -> list[str]:
    sex = SAME_SEX if person.sex == other.sex else DIFFERENT_SEX
    return [SIMILAR_NAME, SAME_BIRTH_DATE, SAME_DISTRICT, sex]


async def record_candidates(
    *,
    session: AsyncSession,
    persons: Sequence[Person],
    household: Household,
    principal: Principal,
    purpose: str | None,
) -> list[DuplicateHint]:
    """Store and answer the possible duplicates of newly registered persons: people with a
    name alike in either script, born the same day, living now in the same district.

    Called after the new persons and their stays are flushed; they never match each other.
    The records shown (names and birth date) are audited as read by the registering worker.
    """
    new_ids = {person.id for person in persons}
    hints: list[DuplicateHint] = []
    rows: list[DuplicateCandidate] = []
    everywhere = PlaceScope(everywhere=True)
    on = local_today()
    for person in persons:
        keys = normalise.query_keys(f"{person.family_name} {person.given_name}")
        if not keys:
            continue
        filters = Filters(
            scope=everywhere,
            district=household.district,
            birth_year=None,
            on=on,
            birth_date=person.birth_date,
        )
        found, _ = await search_service.find(
            session,
            keys=keys,
            filters=filters,
            page=PageParams(limit=MAX_CANDIDATES + len(new_ids), offset=0),
        )
        matches = [f for f in found if _is_candidate(person, f, new_ids)][:MAX_CANDIDATES]
        for match in matches:
            row = DuplicateCandidate(
                person_id=person.id,
                candidate_person_id=match.person.id,
                score=round(min(match.score, 1.0), 3),
                reasons=_reasons(person, match.person),
                region=household.region,
                district=household.district,
            )
            rows.append(row)
            hints.append(
                DuplicateHint(
                    candidate_id=row.id,
                    person_id=person.id,
                    candidate_person_id=match.person.id,
                    family_name=match.person.family_name,
                    given_name=match.person.given_name,
                    birth_date=match.person.birth_date,
                    score=row.score,
                    reasons=row.reasons,
                )
            )
    await repository.add_candidates(session, rows)
    if rows:
        audit_service.record(
            session=session,
            principal=principal,
            action=AuditAction.read,
            touched=[
                audit_service.person(p) for p in sorted({r.candidate_person_id for r in rows})
            ],
            purpose=purpose,
        )
    return hints
