"""The person search over HTTP, on PostgreSQL (pg_trgm) and on SQLite (blocking + rapidfuzz)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from tests.registry.conftest import Auth
from tests.registry.search.conftest import SEARCH, Register, worker

PERSONS = "/api/v1/registry/persons"


async def _search(
    client: httpx.AsyncClient, headers: dict[str, str], q: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(SEARCH, params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _ids(found: dict[str, Any]) -> list[str]:
    return [item["person_id"] for item in found["items"]]


class TestSpellings:
    @pytest.mark.parametrize(
        "q",
        [
            "Айдай Адылбекова",
            "Aidai Adylbekova",
            "Aydai Adilbekova",
            "Адилбекова",
            "Adylbekova Aidai",
            "aidai adylbekova",
            "Айдай Адылбекова",
        ],
    )
    async def test_every_spelling_finds_aidai_adylbekova(
        self, client: httpx.AsyncClient, auth: Auth, register: Register, q: str
    ) -> None:
        person = await register("Адылбекова", "Айдай", birth_date=date(2012, 5, 17))

        found = await _search(client, worker(auth, "KG-C-05"), q, birth_year=2012)

        assert person["person_id"] in _ids(found)
        item = next(i for i in found["items"] if i["person_id"] == person["person_id"])
        assert item["family_name"] == "Адылбекова" and item["given_name"] == "Айдай"
        assert item["household_id"] == person["household_id"]
        assert (item["region"], item["district"]) == ("KG-C", "KG-C-05")
        assert item["birth_date"] == "2012-05-17"
        assert 0.7 <= item["score"] <= 1

    @pytest.mark.parametrize(
        ("family_name", "given_name", "q"),
        [
            ("Асанов", "Нурлан", "Nurlan Asanov"),
            ("Сатыбалдиева", "Жылдыз", "Zhyldyz Satybaldieva"),
            ("Сатыбалдиева", "Жылдыз", "Jyldyz Satybaldiyeva"),
            ("Сатыбалдиева", "Жылдыз", "Джылдыз Сатыбалдыева"),
            ("Өмүрбекова", "Үмүт", "Umut Omurbekova"),
            ("Өмүрбекова", "Үмүт", "Ymyt Ömürbekova"),
            ("Өмүрбекова", "Үмүт", "Омурбекова Умут"),
            ("Шаршенбаева", "Чынара", "Chynara Sharshenbaeva"),
            ("Ханбабаева", "Гүлзат", "Gulzat Khanbabaeva"),
        ],
    )
    async def test_kyrgyz_letters_and_latin_typings_meet(
        self,
        client: httpx.AsyncClient,
        auth: Auth,
        register: Register,
        family_name: str,
        given_name: str,
        q: str,
    ) -> None:
        person = await register(family_name, given_name, birth_date=date(2013, 2, 2))

        found = await _search(client, worker(auth, "KG-C-05"), q, birth_year=2013)

        assert person["person_id"] in _ids(found)

    async def test_the_closer_name_ranks_first(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        aidai = await register("Адылбекова", "Айдай", birth_date=date(2010, 1, 9))
        aigerim = await register("Адылбекова", "Айгерим", birth_date=date(2010, 3, 9))

        found = await _search(client, worker(auth, "KG-C-05"), "Aidai Adylbekova", birth_year=2010)

        ids = _ids(found)
        assert ids.index(aidai["person_id"]) < ids.index(aigerim["person_id"])
        scores = [item["score"] for item in found["items"]]
        assert scores == sorted(scores, reverse=True)

    async def test_another_name_is_not_found(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Адылбекова", "Айдай", birth_date=date(2011, 1, 9))

        found = await _search(client, worker(auth, "KG-C-05"), "Нурлан Асанов", birth_year=2011)

        assert person["person_id"] not in _ids(found)

    async def test_pages_with_limit_and_offset(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        await register("Бакирова", "Сезим", birth_date=date(2008, 1, 1))
        await register("Бакирова", "Сезим", birth_date=date(2008, 2, 1))
        headers = worker(auth, "KG-C-05")

        first = await _search(client, headers, "Sezim Bakirova", birth_year=2008, limit=1)
        second = await _search(
            client, headers, "Sezim Bakirova", birth_year=2008, limit=1, offset=1
        )

        assert first["total"] == second["total"] >= 2
        assert (first["limit"], second["offset"]) == (1, 1)
        assert len(first["items"]) == len(second["items"]) == 1
        assert _ids(first) != _ids(second)


class TestFilters:
    async def test_birth_year_narrows(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        older = await register("Жумабаева", "Асель", birth_date=date(2009, 6, 1))
        younger = await register("Жумабаева", "Асель", birth_date=date(2014, 6, 1))

        found = await _search(client, worker(auth, "KG-C-05"), "Asel Jumabaeva", birth_year=2014)

        assert younger["person_id"] in _ids(found)
        assert older["person_id"] not in _ids(found)

    async def test_district_narrows_a_supervisors_search(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        here = await register("Касымова", "Мээрим", district="KG-C-06")
        there = await register("Касымова", "Мээрим", district="KG-C-07")
        supervisor = auth("supervisor", region="KG-C")

        found = await _search(client, supervisor, "Meerim Kasymova", district="KG-C-06")

        assert here["person_id"] in _ids(found)
        assert there["person_id"] not in _ids(found)
        assert {item["district"] for item in found["items"]} == {"KG-C-06"}


class TestPlaceScope:
    async def test_a_worker_of_another_district_does_not_find_the_person(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Адылбекова", "Айдай", district="KG-C-05")

        found = await _search(client, worker(auth, "KG-C-06"), "Айдай Адылбекова")

        assert person["person_id"] not in _ids(found)
        assert all(item["district"] == "KG-C-06" for item in found["items"])

    async def test_a_supervisor_finds_her_region_only(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Адылбекова", "Айдай", district="KG-C-08")

        own = await _search(client, auth("supervisor", region="KG-C"), "Aidai Adylbekova")
        other = await _search(client, auth("supervisor", region="KG-J"), "Aidai Adylbekova")

        assert person["person_id"] in _ids(own)
        assert person["person_id"] not in _ids(other)
        assert all(item["region"] == "KG-J" for item in other["items"])

    async def test_a_district_outside_the_workers_is_refused(
        self, client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await client.get(
            SEARCH, params={"q": "Aidai", "district": "KG-C-06"}, headers=worker(auth, "KG-C-05")
        )

        assert (response.status_code, response.json()["code"]) == (403, "region_not_allowed")

    async def test_a_partner_cannot_search(self, client: httpx.AsyncClient, auth: Auth) -> None:
        response = await client.get(SEARCH, params={"q": "Aidai"}, headers=auth("partner"))

        assert response.status_code == 403


class TestKeysFollowTheNames:
    async def test_a_renamed_person_is_found_by_the_new_name(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Токтобаева", "Айжан", birth_date=date(2007, 7, 7))
        headers = worker(auth, "KG-C-05")

        renamed = await client.patch(
            f"{PERSONS}/{person['person_id']}",
            json={"family_name": "Эсенгулова"},
            headers={**headers, "If-Match": '"1"'},
        )
        assert renamed.status_code == 200, renamed.text

        new = await _search(client, headers, "Aijan Esengulova", birth_year=2007)
        old = await _search(client, headers, "Токтобаева", birth_year=2007)
        assert person["person_id"] in _ids(new)
        assert person["person_id"] not in _ids(old)

    async def test_a_member_added_later_is_found(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Абдыкадырова", "Нуриза", birth_date=date(2006, 1, 1))
        headers = worker(auth, "KG-C-05")
        added = await client.post(
            f"/api/v1/registry/households/{person['household_id']}/members",
            json={
                "role": "child",
                "family_name": "Абдыкадыров",
                "given_name": "Бекзат",
                "sex": "male",
                "birth_date": "2006-09-01",
            },
            headers={**headers, "If-Match": '"1"'},
        )
        assert added.status_code == 201, added.text

        found = await _search(client, headers, "Bekzat Abdykadyrov", birth_year=2006)

        assert [i["given_name"] for i in found["items"]][:1] == ["Бекзат"]


class TestAudit:
    async def test_every_person_shown_is_audited_with_the_purpose(
        self, client: httpx.AsyncClient, auth: Auth, register: Register
    ) -> None:
        person = await register("Адылбекова", "Айдай", birth_date=date(2005, 5, 5))
        headers = {**worker(auth, "KG-C-05"), "X-Purpose": "round 2026-H2"}
        await _search(client, headers, "Aidai Adylbekova", birth_year=2005)

        trail = await client.get(
            "/api/v1/registry/audit",
            params={"person_id": person["person_id"]},
            headers=auth("auditor"),
        )

        assert trail.status_code == 200, trail.text
        newest = trail.json()["items"][0]
        assert (newest["action"], newest["entity"], newest["role"]) == (
            "read",
            "person",
            "social_worker",
        )
        assert newest["purpose"] == "round 2026-H2"
        assert newest["household_id"] == person["household_id"]


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"q": "!!"}, "search_query_empty"),
            ({"q": "a"}, "validation_error"),
            ({"q": "Aidai", "district": "KG-C-99"}, "unknown_location"),
            ({"q": "Aidai", "birth_year": "1850"}, "validation_error"),
        ],
    )
    async def test_is_a_clear_422(
        self, client: httpx.AsyncClient, auth: Auth, params: dict[str, str], code: str
    ) -> None:
        response = await client.get(SEARCH, params=params, headers=worker(auth, "KG-C-05"))

        assert (response.status_code, response.json()["code"]) == (422, code)
