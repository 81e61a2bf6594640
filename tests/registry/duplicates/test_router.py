"""Possible duplicates on registration, their review, and merges, over HTTP on PostgreSQL."""

# The point of these tests is Cyrillic and Latin spellings of one name.

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import col

from kamkor_common.db import Database
from kamkor_common.events.schemas.registry import (
    HOUSEHOLD_MERGED,
    HOUSEHOLD_UPDATED,
    PERSON_MERGED,
    HouseholdMerged,
    PersonMerged,
)
from kamkor_registry.audit.models import AuditEntry
from kamkor_registry.consents.models import Consent
from kamkor_registry.duplicates.models import DuplicateCandidate
from tests.registry.conftest import Auth, NewHousehold, OutboxEvents

HOUSEHOLDS = "/api/v1/registry/households"
DUPLICATES = "/api/v1/registry/duplicates"
PERSONS = "/api/v1/registry/persons"
JALAL_ABAD, SUZAK, NOOKEN = "KG-J", "KG-J-06", "KG-J-05"

# A birth date no other test uses: the duplicate check compares birth dates exactly.
_days = itertools.count(1)


def _born() -> date:
    return date(2009, 1, 1) + timedelta(days=next(_days))


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _worker(auth: Auth, district: str = SUZAK) -> dict[str, str]:
    return auth("social_worker", region=JALAL_ABAD, districts=[district])


def _supervisor(auth: Auth, region: str = JALAL_ABAD) -> dict[str, str]:
    return auth("supervisor", region=region)


def _body(
    new_household: NewHousehold,
    *,
    family: str,
    given: str,
    born: date,
    district: str = SUZAK,
    pin: str | None = None,
) -> dict[str, Any]:
    body = new_household(district=district)
    child = body["members"][1]
    child.update(family_name=family, given_name=given, birth_date=born.isoformat())
    child.pop("pin")
    if pin is not None:
        child["pin"] = pin
    # A grandmother of her own (born on a day no one else is), so only the child can match.
    body["members"][0].update(birth_date=_born().replace(year=1950).isoformat())
    return body


async def _register(client: httpx.AsyncClient, auth: Auth, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(HOUSEHOLDS, json=body, headers=_worker(auth, body["district"]))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _child(household: dict[str, Any]) -> str:
    return next(m["person_id"] for m in household["members"] if m["role"] == "child")


async def _pair(
    client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Айдай Адылбекова registered, then Aidai Adylbekova born the same day, same district."""
    born = _born()
    first = await _register(
        client, auth, _body(new_household, family="Адылбекова", given="Айдай", born=born)
    )
    second = await _register(
        client, auth, _body(new_household, family="Adylbekova", given="Aidai", born=born)
    )
    return first, second


class TestCandidatesOnRegistration:
    async def test_a_name_in_the_other_script_born_the_same_day_in_the_district_is_a_candidate(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        registry_database: Database,
    ) -> None:
        first, second = await _pair(registry_client, auth, new_household)

        # Registered all the same, with the candidate answered.
        assert first["duplicate_candidates"] == []
        (hint,) = second["duplicate_candidates"]
        assert hint["person_id"] == _child(second)
        assert hint["candidate_person_id"] == _child(first)
        assert (hint["family_name"], hint["given_name"]) == ("Адылбекова", "Айдай")
        assert hint["score"] >= 0.9
        assert {"similar_name", "same_birth_date", "same_district", "same_sex"} == set(
            hint["reasons"]
        )
        async with registry_database.sessionmaker() as session:
            stored = await session.get(DuplicateCandidate, hint["candidate_id"])
        assert stored is not None and stored.status == "open"
        assert (stored.region, stored.district) == (JALAL_ABAD, SUZAK)
        # The worker saw the other record's name and birth date: audited as a read.
        async with registry_database.sessionmaker() as session:
            reads = await session.scalars(
                select(AuditEntry).where(
                    col(AuditEntry.person_id) == _child(first), col(AuditEntry.action) == "read"
                )
            )
            assert len(reads.all()) == 1

    async def test_the_same_name_and_day_in_another_district_is_none(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        born = _born()
        await _register(
            registry_client,
            auth,
            _body(new_household, family="Адылбекова", given="Айдай", born=born),
        )

        elsewhere = await _register(
            registry_client,
            auth,
            _body(new_household, family="Adylbekova", given="Aidai", born=born, district=NOOKEN),
        )

        assert elsewhere["duplicate_candidates"] == []

    async def test_another_birth_date_or_another_pin_is_none(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: Callable[..., str],
    ) -> None:
        born = _born()
        await _register(
            registry_client,
            auth,
            _body(
                new_household,
                family="Адылбекова",
                given="Айдай",
                born=born,
                pin=pin_for(born, first_digit="1"),
            ),
        )

        next_day = await _register(
            registry_client,
            auth,
            _body(new_household, family="Adylbekova", given="Aidai", born=born + timedelta(days=1)),
        )
        other_pin = await _register(
            registry_client,
            auth,
            _body(
                new_household,
                family="Adylbekova",
                given="Aidai",
                born=born,
                pin=pin_for(born, first_digit="1"),
            ),
        )

        assert next_day["duplicate_candidates"] == []
        # Two different PINs are two children, however alike the names.
        assert other_pin["duplicate_candidates"] == []

    async def test_a_child_added_to_a_household_is_checked_too(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        born = _born()
        first = await _register(
            registry_client,
            auth,
            _body(new_household, family="Адылбекова", given="Айдай", born=born),
        )
        other = await _register(
            registry_client,
            auth,
            _body(new_household, family="Осмонова", given="Нургүл", born=_born()),
        )

        response = await registry_client.post(
            f"{HOUSEHOLDS}/{other['id']}/members",
            json={
                "role": "child",
                "family_name": "Adilbekova",
                "given_name": "Aydai",
                "sex": "female",
                "birth_date": born.isoformat(),
            },
            headers={**_worker(auth), "If-Match": f'"{other["version"]}"'},
        )

        assert response.status_code == 201, response.text
        (hint,) = response.json()["duplicate_candidates"]
        assert hint["candidate_person_id"] == _child(first)

    async def test_an_exact_pin_is_a_conflict_naming_the_person_on_both_routes(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: Callable[..., str],
    ) -> None:
        born = _born()
        pin = pin_for(born, first_digit="1")
        first = await _register(
            registry_client,
            auth,
            _body(new_household, family="Адылбекова", given="Айдай", born=born, pin=pin),
        )

        again = await registry_client.post(
            HOUSEHOLDS,
            json=_body(new_household, family="Adylbekova", given="Aidai", born=born, pin=pin),
            headers=_worker(auth),
        )
        added = await registry_client.post(
            f"{HOUSEHOLDS}/{first['id']}/members",
            json={
                "role": "child",
                "family_name": "Адылбекова",
                "given_name": "Айдай",
                "sex": "female",
                "birth_date": born.isoformat(),
                "pin": pin,
            },
            headers={**_worker(auth), "If-Match": f'"{first["version"]}"'},
        )

        assert _problem(again, 409, "duplicate_pin")["person_id"] == _child(first)
        assert _problem(added, 409, "duplicate_pin")["person_id"] == _child(first)


class TestReview:
    async def test_supervisors_list_their_regions_open_pairs_by_district(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        _, second = await _pair(registry_client, auth, new_household)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]

        listed = await registry_client.get(
            DUPLICATES, params={"district": SUZAK, "limit": 500}, headers=_supervisor(auth)
        )
        admin = await registry_client.get(DUPLICATES, params={"limit": 500}, headers=auth("admin"))
        nooken = await registry_client.get(
            DUPLICATES, params={"district": NOOKEN, "limit": 500}, headers=_supervisor(auth)
        )

        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert candidate_id in {c["id"] for c in items}
        assert all(c["status"] == "open" and c["district"] == SUZAK for c in items)
        assert candidate_id in {c["id"] for c in admin.json()["items"]}
        assert candidate_id not in {c["id"] for c in nooken.json()["items"]}
        paged = await registry_client.get(
            DUPLICATES, params={"limit": 1}, headers=_supervisor(auth)
        )
        assert len(paged.json()["items"]) == 1 and paged.json()["total"] >= 1

    async def test_another_regions_supervisor_sees_nothing_and_a_worker_may_not_look(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        _, second = await _pair(registry_client, auth, new_household)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]
        osh = _supervisor(auth, region="KG-O")

        listed = await registry_client.get(DUPLICATES, params={"limit": 500}, headers=osh)
        pair = await registry_client.get(f"{DUPLICATES}/{candidate_id}", headers=osh)
        dismissed = await registry_client.post(
            f"{DUPLICATES}/{candidate_id}/dismiss", json={"reason": "no"}, headers=osh
        )
        worker = await registry_client.get(DUPLICATES, headers=_worker(auth))
        suzak = await registry_client.get(DUPLICATES, params={"district": SUZAK}, headers=osh)

        assert listed.status_code == 200
        assert all(c["region"] == "KG-O" for c in listed.json()["items"])
        assert candidate_id not in {c["id"] for c in listed.json()["items"]}
        _problem(pair, 404, "duplicate_candidate_not_found")
        _problem(dismissed, 404, "duplicate_candidate_not_found")
        assert worker.status_code == 403
        _problem(suzak, 403, "region_not_allowed")

    async def test_a_pair_shows_both_records_with_an_etag_of_both_versions(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        first, second = await _pair(registry_client, auth, new_household)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]

        response = await registry_client.get(
            f"{DUPLICATES}/{candidate_id}", headers=_supervisor(auth)
        )

        assert response.status_code == 200, response.text
        pair = response.json()
        assert pair["person"]["id"] == _child(second)
        assert pair["person"]["household_ids"] == [second["id"]]
        assert pair["candidate_person"]["id"] == _child(first)
        assert pair["candidate_person"]["given_name"] == "Айдай"
        assert response.headers["ETag"] == pair["etag"] == '"1-1"'

    async def test_dismissing_needs_a_reason_and_closes_the_pair_once(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        _, second = await _pair(registry_client, auth, new_household)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]
        url = f"{DUPLICATES}/{candidate_id}/dismiss"

        empty = await registry_client.post(url, json={"reason": ""}, headers=_supervisor(auth))
        dismissed = await registry_client.post(
            url, json={"reason": "twins: two girls of one name"}, headers=_supervisor(auth)
        )
        again = await registry_client.post(url, json={"reason": "again"}, headers=_supervisor(auth))
        listed = await registry_client.get(
            DUPLICATES,
            params={"status": "dismissed", "district": SUZAK, "limit": 500},
            headers=_supervisor(auth),
        )
        still_open = await registry_client.get(
            DUPLICATES, params={"district": SUZAK, "limit": 500}, headers=_supervisor(auth)
        )

        assert empty.status_code == 422
        assert dismissed.status_code == 200, dismissed.text
        candidate = dismissed.json()["candidate"]
        assert candidate["status"] == "dismissed"
        assert candidate["decision_reason"] == "twins: two girls of one name"
        assert candidate["decided_by"] and candidate["decided_at"]
        _problem(again, 409, "duplicate_candidate_decided")
        assert candidate_id in {c["id"] for c in listed.json()["items"]}
        assert candidate_id not in {c["id"] for c in still_open.json()["items"]}


class TestMergePersons:
    async def test_merge_moves_stays_and_sibling_group_and_leaves_a_tombstone(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
    ) -> None:
        first, second = await _pair(registry_client, auth, new_household)
        kept, merged = _child(first), _child(second)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]
        brother = await _register(
            registry_client,
            auth,
            _body(new_household, family="Адылбеков", given="Нурлан", born=_born()),
        )
        group = await registry_client.post(
            "/api/v1/registry/sibling-groups",
            json={"person_ids": [merged, _child(brother)]},
            headers=_worker(auth),
        )
        assert group.status_code == 201, group.text
        patched = await registry_client.patch(
            f"{PERSONS}/{merged}",
            json={"school_enrolment": "enrolled", "school": "School No. 3"},
            headers={**_worker(auth), "If-Match": '"1"'},
        )
        assert patched.status_code == 200, patched.text
        url = f"{DUPLICATES}/{candidate_id}/merge"
        body = {"keep_person_id": kept}

        missing = await registry_client.post(url, json=body, headers=_supervisor(auth))
        stale = await registry_client.post(
            url, json=body, headers={**_supervisor(auth), "If-Match": '"1-1"'}
        )
        neither = await registry_client.post(
            url,
            json={"keep_person_id": _child(brother)},
            headers={**_supervisor(auth), "If-Match": '"2-1"'},
        )
        response = await registry_client.post(
            url, json=body, headers={**_supervisor(auth), "If-Match": '"2-1"'}
        )

        _problem(missing, 428, "if_match_required")
        _problem(stale, 412, "version_mismatch")
        _problem(neither, 422, "invalid_keep")
        assert response.status_code == 200, response.text
        pair = response.json()
        assert pair["candidate"]["status"] == "merged"
        assert pair["candidate"]["kept_person_id"] == kept
        assert pair["person"]["merged_into"] == kept
        # The kept record lives in both households now and took the school it lacked.
        assert pair["candidate_person"]["household_ids"] == sorted([first["id"], second["id"]])
        read = await registry_client.get(f"{PERSONS}/{kept}", headers=_worker(auth))
        assert read.json()["school_enrolment"] == "enrolled"
        assert read.json()["school"] == "School No. 3"
        household = await registry_client.get(f"{HOUSEHOLDS}/{second['id']}", headers=_worker(auth))
        assert _child(household.json()) == kept
        sibling = await registry_client.get(
            f"/api/v1/registry/sibling-groups/{group.json()['id']}", headers=_worker(auth)
        )
        assert {s["person_id"] for s in sibling.json()["siblings"]} == {kept, _child(brother)}
        (event,) = await outbox_events(second["id"], PERSON_MERGED)
        assert PersonMerged.model_validate(event.data) == PersonMerged(
            household_id=second["id"], person_id=kept, merged_person_id=merged
        )
        assert await outbox_events(first["id"], PERSON_MERGED)
        updated = await outbox_events(second["id"], HOUSEHOLD_UPDATED)
        assert [m["person_id"] for m in updated[-1].data["members"] if m["role"] == "child"] == [
            kept
        ]

    async def test_the_merged_id_resolves_to_its_tombstone_and_refuses_changes(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: Callable[..., str],
    ) -> None:
        first, second = await _pair(registry_client, auth, new_household)
        kept, merged = _child(first), _child(second)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]
        pin = pin_for(date.fromisoformat(second["members"][1]["birth_date"]), first_digit="1")
        patched = await registry_client.patch(
            f"{PERSONS}/{merged}", json={"pin": pin}, headers={**_worker(auth), "If-Match": '"1"'}
        )
        assert patched.status_code == 200, patched.text
        merge = await registry_client.post(
            f"{DUPLICATES}/{candidate_id}/merge",
            json={"keep_person_id": kept},
            headers={**_supervisor(auth), "If-Match": '"2-1"'},
        )
        assert merge.status_code == 200, merge.text

        tombstone = await registry_client.get(f"{PERSONS}/{merged}", headers=_worker(auth))
        changed = await registry_client.patch(
            f"{PERSONS}/{merged}",
            json={"school": "School No. 1"},
            headers={**_worker(auth), "If-Match": '"2"'},
        )
        joined = await registry_client.post(
            f"{HOUSEHOLDS}/{first['id']}/members",
            json={"role": "other", "person_id": merged},
            headers={**_worker(auth), "If-Match": f'"{first["version"] + 1}"'},
        )
        again = await registry_client.post(
            f"{DUPLICATES}/{candidate_id}/merge",
            json={"keep_person_id": kept},
            headers={**_supervisor(auth), "If-Match": "*"},
        )

        assert tombstone.status_code == 200, tombstone.text
        assert tombstone.json()["merged_into"] == kept
        assert tombstone.json()["memberships"] == []
        # The PIN the kept record lacked went to it; the tombstone holds none.
        assert tombstone.json()["pin"] is None
        kept_read = await registry_client.get(f"{PERSONS}/{kept}", headers=_worker(auth))
        assert kept_read.json()["pin"] == pin and kept_read.json()["merged_into"] is None
        assert _problem(changed, 409, "record_merged")["merged_into"] == kept
        assert _problem(joined, 409, "record_merged")["merged_into"] == kept
        _problem(again, 409, "duplicate_candidate_decided")

    async def test_two_different_pins_never_merge(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: Callable[..., str],
    ) -> None:
        first, second = await _pair(registry_client, auth, new_household)
        candidate_id = second["duplicate_candidates"][0]["candidate_id"]
        for person, household in ((_child(first), first), (_child(second), second)):
            born = date.fromisoformat(household["members"][1]["birth_date"])
            patched = await registry_client.patch(
                f"{PERSONS}/{person}",
                json={"pin": pin_for(born, first_digit="1")},
                headers={**_worker(auth), "If-Match": '"1"'},
            )
            assert patched.status_code == 200, patched.text

        response = await registry_client.post(
            f"{DUPLICATES}/{candidate_id}/merge",
            json={"keep_person_id": _child(first)},
            headers={**_supervisor(auth), "If-Match": '"2-2"'},
        )

        _problem(response, 409, "pins_differ")


class TestMergeHouseholds:
    async def test_a_household_registered_twice_merges_with_members_and_consents(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        outbox_events: OutboxEvents,
        registry_database: Database,
    ) -> None:
        kept, merged = await _pair(registry_client, auth, new_household)
        consent = await registry_client.post(
            f"{HOUSEHOLDS}/{merged['id']}/consents",
            json={"scope": "contact_sharing", "person_id": merged["members"][0]["person_id"]},
            headers=_worker(auth),
        )
        assert consent.status_code == 201, consent.text
        merged_version = merged["version"]
        url = f"{HOUSEHOLDS}/{merged['id']}/merge"
        body = {"into_household_id": kept["id"]}

        stale = await registry_client.post(
            url, json=body, headers={**_supervisor(auth), "If-Match": f'"{merged_version + 5}"'}
        )
        itself = await registry_client.post(
            url,
            json={"into_household_id": merged["id"]},
            headers={**_supervisor(auth), "If-Match": f'"{merged_version}"'},
        )
        worker = await registry_client.post(
            url, json=body, headers={**_worker(auth), "If-Match": f'"{merged_version}"'}
        )
        response = await registry_client.post(
            url, json=body, headers={**_supervisor(auth), "If-Match": f'"{merged_version}"'}
        )

        _problem(stale, 412, "version_mismatch")
        _problem(itself, 422, "invalid_household_merge")
        assert worker.status_code == 403
        assert response.status_code == 200, response.text
        household = response.json()
        everyone = {m["person_id"] for h in (kept, merged) for m in h["members"]}
        assert {m["person_id"] for m in household["members"]} == everyone
        assert household["version"] == kept["version"] + 1
        tombstone = await registry_client.get(f"{HOUSEHOLDS}/{merged['id']}", headers=_worker(auth))
        assert tombstone.json()["merged_into"] == kept["id"]
        assert tombstone.json()["members"] == []
        changed = await registry_client.patch(
            f"{HOUSEHOLDS}/{merged['id']}",
            json={"address": "elsewhere 1"},
            headers={**_worker(auth), "If-Match": f'"{tombstone.json()["version"]}"'},
        )
        assert _problem(changed, 409, "record_merged")["merged_into"] == kept["id"]
        async with registry_database.sessionmaker() as session:
            moved = await session.get(Consent, consent.json()["id"])
            left = await session.scalars(
                select(Consent).where(col(Consent.household_id) == merged["id"])
            )
            assert moved is not None and moved.household_id == kept["id"]
            assert left.all() == []
        (event,) = await outbox_events(kept["id"], HOUSEHOLD_MERGED)
        assert event.type == HOUSEHOLD_MERGED.type
        data = HouseholdMerged.model_validate(event.data)
        assert (data.household_id, data.merged_household_id) == (kept["id"], merged["id"])
        assert {m.person_id for m in data.members} == everyone
        assert data.version == household["version"]
        listed = await registry_client.get(
            HOUSEHOLDS, params={"district": SUZAK, "limit": 500}, headers=_worker(auth)
        )
        assert merged["id"] not in {h["id"] for h in listed.json()["items"]}


class TestMergeClashes:
    async def test_a_duplicate_in_the_same_household_leaves_one_stay(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        born = _born()
        household = await _register(
            registry_client,
            auth,
            _body(new_household, family="Адылбекова", given="Айдай", born=born),
        )
        added = await registry_client.post(
            f"{HOUSEHOLDS}/{household['id']}/members",
            json={
                "role": "child",
                "family_name": "Adylbekova",
                "given_name": "Aidai",
                "sex": "female",
                "birth_date": born.isoformat(),
            },
            headers={**_worker(auth), "If-Match": f'"{household["version"]}"'},
        )
        assert added.status_code == 201, added.text
        (hint,) = added.json()["duplicate_candidates"]

        merge = await registry_client.post(
            f"{DUPLICATES}/{hint['candidate_id']}/merge",
            json={"keep_person_id": _child(household)},
            headers={**_supervisor(auth), "If-Match": "*"},
        )

        assert merge.status_code == 200, merge.text
        read = await registry_client.get(f"{HOUSEHOLDS}/{household['id']}", headers=_worker(auth))
        children = [m["person_id"] for m in read.json()["members"] if m["role"] == "child"]
        assert children == [_child(household)]

    async def test_a_person_in_both_households_keeps_the_kept_households_stay(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        kept, merged = await _pair(registry_client, auth, new_household)
        grandmother = kept["members"][0]["person_id"]
        joined = await registry_client.post(
            f"{HOUSEHOLDS}/{merged['id']}/members",
            json={"role": "grandparent", "person_id": grandmother},
            headers={**_worker(auth), "If-Match": f'"{merged["version"]}"'},
        )
        assert joined.status_code == 201, joined.text

        response = await registry_client.post(
            f"{HOUSEHOLDS}/{merged['id']}/merge",
            json={"into_household_id": kept["id"]},
            headers={**_supervisor(auth), "If-Match": f'"{joined.json()["version"]}"'},
        )

        assert response.status_code == 200, response.text
        members = [m["person_id"] for m in response.json()["members"]]
        assert members.count(grandmother) == 1
        assert len(members) == 4  # two grandmothers, two children
