"""The rules of searching people by name."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kamkor_common.auth import Principal
from kamkor_common.errors import Unprocessable
from kamkor_common.pagination import PageParams
from kamkor_common.reference.regions import DISTRICTS_BY_CODE, local_today
from kamkor_registry.audit import service as audit_service
from kamkor_registry.audit.models import AuditAction
from kamkor_registry.places import check_in_scope, check_location
from kamkor_registry.search import normalise, repository, scoring
from kamkor_registry.search.repository import Filters, Found
from kamkor_registry.search.schemas import PersonSearchItem, PersonSearchList

# Letters of a word that make its blocking key on SQLite.
BLOCK = 3


class EmptySearch(Unprocessable):
    code = "search_query_empty"
    title = "The search has no letters to look for"


async def search_persons(
    *,
    session: AsyncSession,
    principal: Principal,
    q: str,
    district: str | None,
    birth_year: int | None,
    page: PageParams,
    purpose: str | None,
) -> PersonSearchList:
    """People whose names match q, best first, among those living in the searcher's places;
    every person shown is audited as read."""
    scope = principal.place_scope()
    if district is not None:
        check_location(None, district)
        # A district outside the scope is refused rather than answered empty.
        check_in_scope(scope, DISTRICTS_BY_CODE[district].region, district)
    keys = normalise.query_keys(q)
    if not keys:
        raise EmptySearch("q has no letters of a name", field="q")
    filters = Filters(scope=scope, district=district, birth_year=birth_year, on=local_today())
    found, total = await find(session, keys=keys, filters=filters, page=page)
    households = await repository.households_by_id(session, [f.household_id for f in found])
    audit_service.record(
        session=session,
        principal=principal,
        action=AuditAction.read,
        touched=[audit_service.person(f.person.id, f.household_id) for f in found],
        purpose=purpose,
    )
    items = [
        PersonSearchItem(
            person_id=f.person.id,
            family_name=f.person.family_name,
            given_name=f.person.given_name,
            patronymic=f.person.patronymic,
            sex=f.person.sex,
            birth_date=f.person.birth_date,
            region=households[f.household_id].region,
            district=households[f.household_id].district,
            household_id=f.household_id,
            score=round(min(f.score, 1.0), 3),
        )
        for f in found
    ]
    return PersonSearchList(items=items, total=total, limit=page.limit, offset=page.offset)


async def find(
    session: AsyncSession, *, keys: list[str], filters: Filters, page: PageParams
) -> tuple[list[Found], int]:
    """A ranked page of people whose names match one of the keys, and the total: the one
    matcher of names, used by the search and by the duplicate check on registration."""
    if repository.is_postgresql(session):
        return await repository.search_trigram(
            session, keys=keys, filters=filters, limit=page.limit, offset=page.offset
        )
    return await _search_blocked(session, keys=keys, filters=filters, page=page)


async def _search_blocked(
    session: AsyncSession, *, keys: list[str], filters: Filters, page: PageParams
) -> tuple[list[Found], int]:
    """SQLite: candidates sharing a word's first letters, scored and ranked in Python."""
    prefixes = sorted({word[:BLOCK] for key in keys for word in key.split()})
    candidates = await repository.blocked_candidates(
        session, prefixes=prefixes, given_too=len(keys[0].split()) == 1, filters=filters
    )
    scored = [
        Found(
            person=person,
            household_id=household_id,
            score=max(scoring.score(key, person.full_key) for key in keys),
            closeness=max(scoring.closeness(key, person.full_key) for key in keys),
        )
        for person, household_id in candidates
    ]
    ranked = sorted(
        (f for f in scored if f.score >= repository.MIN_SCORE),
        key=lambda f: (-f.score, -f.closeness, f.person.id),
    )
    return ranked[page.offset : page.offset + page.limit], len(ranked)
