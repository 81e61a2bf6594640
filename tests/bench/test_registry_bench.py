"""The register bench at a small scale: a generated register loaded into PostgreSQL, searched."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from bench import registry
from bench.registry_data import QUERY_KINDS, Register, latin, typo
from kamkor_common.reference.regions import DISTRICTS_BY_CODE
from kamkor_registry.persons.pins import pin_birth_date

CHILDREN = 2000

MakeDatabase = Callable[[str], Awaitable[str]]


class TestGeneratedRegister:
    def test_is_the_same_for_the_same_seed(self) -> None:
        first = [g.persons for g in Register(300, seed=5).households()]
        again = [g.persons for g in Register(300, seed=5).households()]

        assert first == again

    def test_has_households_of_one_to_four_children_in_known_districts(self) -> None:
        households = list(Register(CHILDREN).households())

        children = [m for g in households for m in g.members if m[2] == "child"]
        assert len(children) == CHILDREN
        assert all(1 <= sum(m[2] == "child" for m in g.members) <= 4 for g in households)
        assert all(
            DISTRICTS_BY_CODE[str(g.household[2])].region == g.household[1] for g in households
        )

    def test_pins_follow_the_common_form_and_are_unique(self) -> None:
        persons = [p for g in Register(CHILDREN).households() for p in g.persons]

        pins = [p[6] for p in persons if p[6] is not None]
        assert len(pins) == len(set(pins)) > 0.9 * len(persons)
        for person in persons:
            if person[6] is not None:
                pin = str(person[6])
                assert pin[0] == ("1" if person[4] == "female" else "2")
                assert pin_birth_date(pin) == person[5]

    def test_latin_re_typings(self) -> None:
        assert latin("Айдай Адылбекова") == "Ayday Adylbekova"
        assert latin("Жаңыл") == "Zhangyl"
        assert typo("adylbekova", random.Random(1)) != "adylbekova"


class TestRegisterBench:
    async def test_loads_and_searches_a_small_register(self, make_database: MakeDatabase) -> None:
        url = await make_database("registry_bench")

        loaded, register = await registry.load(url, CHILDREN)
        searched = await registry.measure(url, register.targets, count=60, warm_up=6)

        assert loaded["children"] == CHILDREN
        assert loaded["persons"] > CHILDREN and loaded["households"] > CHILDREN / 4
        assert loaded["load_rows_per_s"] > 0 and loaded["db_size_mb"] > 0
        assert set(searched) == {*QUERY_KINDS, "all"}
        for figures in searched.values():
            assert figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
        assert searched["all"]["queries"] == 60

    async def test_finds_a_generated_child_from_a_typed_latin_query(
        self, make_database: MakeDatabase
    ) -> None:
        url = await make_database("registry_bench_typo")
        _, register = await registry.load(url, CHILDREN)
        target = next(t for t in register.targets if " " not in t.family_name)
        # One slip in the family name, the passport's Latin for the given name.
        family = typo(latin(target.family_name), random.Random(3))
        query = f"{family} {latin(target.given_name)}"
        searched = {**target.queries, "latin_typo": query}
        sought = registry.Target(
            person_id=target.person_id,
            family_name=target.family_name,
            given_name=target.given_name,
            district=target.district,
            birth_year=target.birth_year,
            queries=searched,
        )

        database = registry.Database(url, pool_size=1, max_overflow=0)
        try:
            _, found = await registry.search(database, "latin_typo", sought)
        finally:
            await database.dispose()

        assert family != latin(target.family_name)
        assert found
