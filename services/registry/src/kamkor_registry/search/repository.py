"""Every query of the person search: trigram search on PostgreSQL, blocking on SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, String, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from kamkor_common.auth import PlaceScope
from kamkor_registry.households.models import Household, HouseholdMember, Person

# Word similarity a query word needs with a family (or given) name to be a candidate:
# below pg_trgm's default of 0.6, so that two typos in a short surname still match.
WORD_SIMILARITY_THRESHOLD = 0.5
# The least score a name needs to be shown: below it, a surname alike and nothing else.
# pg_trgm's word similarity (padded trigrams) scores a typo lower than rapidfuzz does.
MIN_SIMILARITY = 0.5
MIN_SCORE = 0.6
# The most names the PostgreSQL path ranks for one search, best first: a page past them,
# and a total above them, are not answered (a search that wide wants narrowing).
MAX_CANDIDATES = 1000
# The most candidates the SQLite path scores in Python for one search.
MAX_BLOCKED = 5000


@dataclass(frozen=True)
class Filters:
    scope: PlaceScope
    district: str | None
    birth_year: int | None
    on: date
    # Exact birth date (the duplicate check); narrower than the year.
    birth_date: date | None = None


@dataclass(frozen=True)
class Found:
    person: Person
    household_id: str
    score: float
    closeness: float


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _current_household(filters: Filters, *, person_id: Any = None) -> Any:
    """A person's current household within the places searched (lowest id if several);
    of `person_id`, or of the row of persons the query is on."""
    query = (
        select(func.min(col(HouseholdMember.household_id)))
        .join(Household, col(Household.id) == col(HouseholdMember.household_id))
        .where(
            col(HouseholdMember.person_id) == (col(Person.id) if person_id is None else person_id),
            or_(col(HouseholdMember.until).is_(None), col(HouseholdMember.until) > filters.on),
        )
    )
    if not filters.scope.everywhere:
        query = query.where(col(Household.region) == filters.scope.region)
        if filters.scope.districts:
            query = query.where(col(Household.district).in_(filters.scope.districts))
    if filters.district is not None:
        query = query.where(col(Household.district) == filters.district)
    return query.scalar_subquery()


def _born_in(filters: Filters) -> list[ColumnElement[bool]]:
    if filters.birth_date is not None:
        return [col(Person.birth_date) == filters.birth_date]
    if filters.birth_year is None:
        return []
    # A range, not a year function: it uses the birth date index on both databases.
    return [
        col(Person.birth_date) >= date(filters.birth_year, 1, 1),
        col(Person.birth_date) < date(filters.birth_year + 1, 1, 1),
    ]


def _words_near(words: Sequence[str], *, given_too: bool) -> ColumnElement[bool]:
    """Any query word close to a word of the family name (or given name): GIN-indexed."""
    columns = [col(Person.family_key)] + ([col(Person.given_key)] if given_too else [])
    return or_(
        *[literal(w, String).op("<%", is_comparison=True)(c) for w in words for c in columns]
    )


async def search_trigram(
    session: AsyncSession,
    *,
    keys: Sequence[str],
    filters: Filters,
    limit: int,
    offset: int,
) -> tuple[list[Found], int]:
    """A ranked page of people whose names match a key, on PostgreSQL, and the total."""
    # Both for this transaction only. JIT compiling costs more than the search itself.
    await session.execute(
        text(
            "SELECT set_config('pg_trgm.word_similarity_threshold', :t, true), "
            "set_config('jit', 'off', true)"
        ),
        {"t": str(WORD_SIMILARITY_THRESHOLD)},
    )
    words = sorted({word for key in keys for word in key.split()})
    # Several words: one of them must be near the surname (the fast, indexed path STYLE.md
    # measured); one word may be either name.
    near = _words_near(words, given_too=len(keys[0].split()) == 1)
    score = func.greatest(*[func.word_similarity(k, col(Person.full_key)) for k in keys])
    closeness = func.greatest(*[func.similarity(col(Person.full_key), k) for k in keys])
    household = _current_household(filters)
    narrowed = not filters.scope.everywhere or filters.district is not None
    # The best MAX_CANDIDATES names are ranked; only they are looked up in households.
    # Searching everywhere, the place is no condition (any current household is), so it
    # waits for the candidates; narrowed to places, it is one, and goes before the cut.
    candidates = (
        select(
            col(Person.id).label("person_id"),
            score.label("score"),
            closeness.label("closeness"),
        )
        .where(
            near,
            score >= MIN_SIMILARITY,
            *_born_in(filters),
            *([household.is_not(None)] if narrowed else []),
        )
        .order_by(text("score DESC"), text("closeness DESC"), col(Person.id))
        .limit(MAX_CANDIDATES)
        .subquery()
    )
    inner = select(
        candidates,
        _current_household(filters, person_id=candidates.c.person_id).label("household_id"),
    ).subquery()
    rows = (
        await session.execute(
            select(inner, func.count().over().label("total"))
            .where(inner.c.household_id.is_not(None))
            .order_by(inner.c.score.desc(), inner.c.closeness.desc(), inner.c.person_id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    persons = await _persons(session, [row.person_id for row in rows])
    found = [
        Found(persons[row.person_id], row.household_id, float(row.score), float(row.closeness))
        for row in rows
    ]
    if rows:
        return found, int(rows[0].total)
    # Past the last page no row carries the total: count it on its own.
    return found, await _count(session, inner) if offset else 0


async def _count(session: AsyncSession, inner: Any) -> int:
    total = await session.scalar(
        select(func.count()).select_from(inner).where(inner.c.household_id.is_not(None))
    )
    return int(total or 0)


async def _persons(session: AsyncSession, person_ids: Sequence[str]) -> dict[str, Person]:
    if not person_ids:
        return {}
    rows = await session.scalars(select(Person).where(col(Person.id).in_(person_ids)))
    return {person.id: person for person in rows.all()}


def _prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    # A range rather than LIKE: SQLite uses the key's index for it ("{" follows "z").
    return (column >= prefix) & (column < prefix + "{")


async def blocked_candidates(
    session: AsyncSession, *, prefixes: Sequence[str], given_too: bool, filters: Filters
) -> list[tuple[Person, str]]:
    """People whose family (or given) key starts with a blocking prefix, with their current
    household in the places searched; at most MAX_BLOCKED of them."""
    columns = [col(Person.family_key)] + ([col(Person.given_key)] if given_too else [])
    household = _current_household(filters).label("household_id")
    inner = (
        select(col(Person.id).label("person_id"), household)
        .where(or_(*[_prefix(c, p) for p in prefixes for c in columns]), *_born_in(filters))
        .subquery()
    )
    rows = (
        await session.execute(
            select(Person, inner.c.household_id)
            .join(inner, inner.c.person_id == col(Person.id))
            .where(inner.c.household_id.is_not(None))
            .limit(MAX_BLOCKED)
        )
    ).all()
    return [(person, household_id) for person, household_id in rows]


async def households_by_id(
    session: AsyncSession, household_ids: Sequence[str]
) -> dict[str, Household]:
    if not household_ids:
        return {}
    rows = await session.scalars(
        select(Household).where(col(Household.id).in_(sorted(set(household_ids))))
    )
    return {household.id: household for household in rows.all()}
