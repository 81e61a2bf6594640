"""Registering, reading and listing households over HTTP, on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from kamkor_common.reference.regions import local_today as today
from kamkor_registry.households import service

Auth = Callable[..., dict[str, str]]
NewHousehold = Callable[..., dict[str, Any]]
PinFor = Callable[..., str]

URL = "/api/v1/registry/households"


def _problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


def _child(birth_date: date, **extra: Any) -> dict[str, Any]:
    return {
        "role": "child",
        "family_name": "Осмонова",
        "given_name": "Нургүл",
        "sex": "female",
        "birth_date": birth_date.isoformat(),
        **extra,
    }


async def _create(
    client: httpx.AsyncClient, auth: Auth, body: dict[str, Any], role: str = "social_worker"
) -> dict[str, Any]:
    headers = auth(role, region=body["region"], districts=[body["district"]])
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


class TestCreateHousehold:
    async def test_creates_and_reads_back_with_members_roles_and_ages(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        # Born on 1 January ten years back: exactly ten on any day of this year.
        ten_years_ago = date(today().year - 10, 1, 1)
        body = new_household()
        body["members"][1]["birth_date"] = ten_years_ago.isoformat()
        body["members"][1].pop("pin")

        response = await registry_client.post(
            URL, json=body, headers=auth("social_worker", region="KG-J", districts=["KG-J-06"])
        )

        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"{URL}/{created['id']}"
        assert created["version"] == 1
        assert created["region"] == "KG-J" and created["district"] == "KG-J-06"
        assert created["created_by"] == "test-user"
        assert created["warnings"] == []
        grandmother, child = created["members"]  # oldest first
        assert (grandmother["role"], grandmother["given_name"]) == ("grandparent", "Гүлнара")
        assert (child["role"], child["age"], child["pin"]) == ("child", 10, None)
        assert grandmother["person_id"] != child["person_id"]
        assert child["since"] == today().isoformat() and child["until"] is None

        read = await registry_client.get(
            f"{URL}/{created['id']}", headers=auth("supervisor", region="KG-J")
        )

        assert read.status_code == 200
        assert read.headers["etag"] == '"1"'
        # Possible duplicates are answered on registration only (earlier tests registered
        # the same grandmother); a read shows the record.
        assert read.json() == {**created, "duplicate_candidates": []}

    async def test_accepts_a_birth_date_of_today(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        body = new_household()
        body["members"].append(_child(today(), role="child"))

        created = await _create(registry_client, auth, body)

        assert sorted(m["age"] for m in created["members"])[0] == 0

    @pytest.mark.parametrize(
        ("location", "field"),
        [
            ({"region": "KG-J", "district": "KG-J-99"}, "district"),
            ({"region": "KG-X", "district": "KG-J-06"}, "region"),
            # A real district, but of Chüy, not Jalal-Abad.
            ({"region": "KG-J", "district": "KG-C-01"}, "district"),
        ],
    )
    async def test_refuses_an_unknown_location_naming_the_field(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        location: dict[str, str],
        field: str,
    ) -> None:
        response = await registry_client.post(
            URL, json=new_household(**location), headers=auth("admin")
        )

        body = _problem(response, 422, "unknown_location")
        assert body["field"] == field
        assert body["errors"][0]["field"] == field

    @pytest.mark.parametrize("pin", ["1234567890123", "12345678901234x", "2120420160000A", ""])
    async def test_refuses_a_malformed_pin(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin: str,
    ) -> None:
        body = new_household()
        body["members"][1]["pin"] = pin

        response = await registry_client.post(URL, json=body, headers=auth("admin"))

        problem = _problem(response, 422, "invalid_pin")
        assert problem["errors"] == [{"field": "members[1].pin", "message": "a PIN is 14 digits"}]

    async def test_refuses_the_same_pin_twice_in_one_household(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: PinFor,
    ) -> None:
        born = date(2019, 2, 1)
        pin = pin_for(born)
        body = new_household()
        body["members"] += [_child(born, pin=pin), _child(born, pin=pin)]

        response = await registry_client.post(URL, json=body, headers=auth("admin"))

        problem = _problem(response, 422, "invalid_pin")
        assert [e["field"] for e in problem["errors"]] == ["members[3].pin"]

    @pytest.mark.parametrize("members", [[], None])
    async def test_refuses_a_household_without_members(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        members: list[Any] | None,
    ) -> None:
        body = new_household(members=members)
        if members is None:
            del body["members"]

        response = await registry_client.post(URL, json=body, headers=auth("admin"))

        problem = _problem(response, 422, "validation_error")
        assert [e["field"] for e in problem["errors"]] == ["members"]

    async def test_refuses_a_birth_date_in_the_future(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        body = new_household()
        body["members"].append(_child(today() + timedelta(days=1)))

        response = await registry_client.post(URL, json=body, headers=auth("admin"))

        problem = _problem(response, 422, "invalid_birth_date")
        assert problem["errors"][0]["field"] == "members[2].birth_date"

    async def test_refuses_unknown_fields_instead_of_dropping_them(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        body = new_household()
        body["members"][0]["disability"] = True

        response = await registry_client.post(URL, json=body, headers=auth("admin"))

        problem = _problem(response, 422, "validation_error")
        assert problem["errors"][0]["field"] == "members.0.disability"

    async def test_keeps_a_pin_that_disagrees_with_the_birth_date_and_warns(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: PinFor,
    ) -> None:
        # The digits say the 21st, the record says the 12th.
        pin = pin_for(date(2016, 4, 21), first_digit="1")
        body = new_household()
        body["members"][1]["pin"] = pin

        created = await _create(registry_client, auth, body)

        child = next(m for m in created["members"] if m["role"] == "child")
        assert (child["pin"], child["birth_date"]) == (pin, "2016-04-12")
        assert [(w["code"], w["person_id"], w["field"]) for w in created["warnings"]] == [
            ("pin_birth_date_mismatch", child["person_id"], "pin")
        ]
        assert "2016-04-21" in created["warnings"][0]["message"]
        read = await registry_client.get(f"{URL}/{created['id']}", headers=auth("admin"))
        assert read.json()["warnings"] == created["warnings"]

    async def test_refuses_a_pin_already_registered_naming_the_person(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
    ) -> None:
        first = await _create(registry_client, auth, new_household())
        existing = next(m for m in first["members"] if m["pin"])
        again = new_household(district="KG-J-02")
        again["members"][1]["pin"] = existing["pin"]
        headers = auth("admin")
        before = await registry_client.get(URL, params={"district": "KG-J-02"}, headers=headers)

        response = await registry_client.post(URL, json=again, headers=headers)

        problem = _problem(response, 409, "duplicate_pin")
        assert problem["person_id"] == existing["person_id"]
        assert problem["field"] == "members[1].pin"
        after = await registry_client.get(URL, params={"district": "KG-J-02"}, headers=headers)
        assert after.json()["total"] == before.json()["total"]

    async def test_two_registrations_racing_for_one_pin_give_one_conflict(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        pin_for: PinFor,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Without the pre-check both inserts reach the unique index, as when two requests
        # pass the check at the same moment: the loser must still answer 409, not 500.
        async def _no_pre_check(*_: Any) -> None:
            return None

        monkeypatch.setattr(service, "_check_pins_unused", _no_pre_check)
        pin = pin_for(date(2016, 4, 12), first_digit="1")
        bodies = [new_household(), new_household()]
        for body in bodies:
            body["members"][1]["pin"] = pin

        responses = await asyncio.gather(
            *(registry_client.post(URL, json=body, headers=auth("admin")) for body in bodies)
        )

        assert sorted(r.status_code for r in responses) == [201, 409]
        created = next(r for r in responses if r.status_code == 201).json()
        conflict = next(r for r in responses if r.status_code == 409).json()
        child = next(m for m in created["members"] if m["pin"] == pin)
        assert conflict["code"] == "duplicate_pin"
        assert conflict["person_id"] == child["person_id"]

    @pytest.mark.parametrize("role", ["partner", "shelter_staff", "analyst", "auditor"])
    async def test_other_roles_may_not_register(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        role: str,
    ) -> None:
        response = await registry_client.post(URL, json=new_household(), headers=auth(role))

        _problem(response, 403, "forbidden")

    @pytest.mark.parametrize("role", ["social_worker", "supervisor"])
    async def test_a_region_bound_worker_registers_only_in_that_region(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        role: str,
    ) -> None:
        response = await registry_client.post(
            URL, json=new_household(), headers=auth(role, region="KG-C", districts=["KG-C-01"])
        )

        _problem(response, 403, "region_not_allowed")

    async def test_a_social_worker_registers_only_in_their_districts(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        worker = auth("social_worker", region="KG-J", districts=["KG-J-01", "KG-J-02"])

        elsewhere = await registry_client.post(URL, json=new_household(), headers=worker)
        own = await registry_client.post(
            URL, json=new_household(district="KG-J-02"), headers=worker
        )

        assert "KG-J-06" in _problem(elsewhere, 403, "region_not_allowed")["detail"]
        assert own.status_code == 201, own.text

    async def test_a_supervisor_may_register_in_any_district_of_their_region(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        response = await registry_client.post(
            URL, json=new_household(district="KG-J-11"), headers=auth("supervisor", region="KG-J")
        )

        assert response.status_code == 201, response.text

    @pytest.mark.parametrize(
        "claims",
        [
            {"role": "social_worker", "region": "KG-J"},
            {"role": "social_worker", "districts": ["KG-J-06"]},
            {"role": "social_worker"},
            {"role": "supervisor"},
            {"role": "supervisor", "districts": ["KG-J-06"]},
        ],
        ids=[
            "worker-no-districts",
            "worker-no-region",
            "worker-bare",
            "supervisor-bare",
            "supervisor-no-region",
        ],
    )
    async def test_a_token_that_does_not_say_where_is_refused(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        claims: dict[str, Any],
    ) -> None:
        headers = auth(**claims)

        created = await registry_client.post(URL, json=new_household(), headers=headers)
        listed = await registry_client.get(URL, headers=headers)

        _problem(created, 403, "scope_missing")
        _problem(listed, 403, "scope_missing")

    async def test_an_admin_registers_in_any_region(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        response = await registry_client.post(
            URL,
            json=new_household(region="KG-GB", district="KG-GB-01"),
            headers=auth("admin", region="KG-J"),
        )

        assert response.status_code == 201


class TestGetHousehold:
    async def test_unknown_household_is_not_found(
        self, registry_client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await registry_client.get(f"{URL}/no-such-id", headers=auth("admin"))

        _problem(response, 404, "household_not_found")

    async def test_another_regions_household_looks_missing(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        created = await _create(registry_client, auth, new_household())
        url = f"{URL}/{created['id']}"

        elsewhere = await registry_client.get(
            url, headers=auth("social_worker", region="KG-N", districts=["KG-N-01"])
        )
        supervisor_elsewhere = await registry_client.get(
            url, headers=auth("supervisor", region="KG-N")
        )
        home = await registry_client.get(
            url, headers=auth("social_worker", region="KG-J", districts=["KG-J-06"])
        )
        supervisor = await registry_client.get(url, headers=auth("supervisor", region="KG-J"))
        auditor = await registry_client.get(url, headers=auth("auditor", region="KG-N"))

        _problem(elsewhere, 404, "household_not_found")
        _problem(supervisor_elsewhere, 404, "household_not_found")
        assert home.status_code == 200
        assert supervisor.status_code == 200
        assert auditor.status_code == 200

    async def test_another_districts_household_looks_missing_to_a_social_worker(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        created = await _create(registry_client, auth, new_household())  # in KG-J-06

        response = await registry_client.get(
            f"{URL}/{created['id']}",
            headers=auth("social_worker", region="KG-J", districts=["KG-J-01", "KG-J-05"]),
        )

        _problem(response, 404, "household_not_found")

    async def test_a_social_worker_without_districts_is_refused(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        created = await _create(registry_client, auth, new_household())

        response = await registry_client.get(
            f"{URL}/{created['id']}", headers=auth("social_worker", region="KG-J")
        )

        _problem(response, 403, "scope_missing")

    @pytest.mark.parametrize("role", ["partner", "shelter_staff", "analyst"])
    async def test_other_roles_may_not_read(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        role: str,
    ) -> None:
        created = await _create(registry_client, auth, new_household())

        response = await registry_client.get(f"{URL}/{created['id']}", headers=auth(role))

        _problem(response, 403, "forbidden")


class TestListHouseholds:
    async def test_filters_by_district_and_pages(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        ids = [
            (await _create(registry_client, auth, new_household(district="KG-J-03")))["id"]
            for _ in range(3)
        ]
        headers = auth("admin")

        first = await registry_client.get(
            URL, params={"district": "KG-J-03", "limit": 2}, headers=headers
        )
        second = await registry_client.get(
            URL, params={"district": "KG-J-03", "limit": 2, "offset": 2}, headers=headers
        )

        assert first.status_code == 200
        assert first.json()["total"] == second.json()["total"] == 3
        listed = [h["id"] for h in first.json()["items"] + second.json()["items"]]
        assert listed == list(reversed(ids))  # newest first
        assert all(h["members"] for h in first.json()["items"])

    async def test_a_supervisor_sees_only_their_region(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        await _create(registry_client, auth, new_household(region="KG-T", district="KG-T-01"))
        await _create(registry_client, auth, new_household(region="KG-Y", district="KG-Y-01"))
        supervisor = auth("supervisor", region="KG-T")

        own = await registry_client.get(URL, params={"limit": 100}, headers=supervisor)
        other = await registry_client.get(URL, params={"region": "KG-Y"}, headers=supervisor)
        other_district = await registry_client.get(
            URL, params={"district": "KG-Y-01"}, headers=supervisor
        )

        assert own.status_code == 200
        assert own.json()["total"] >= 1
        assert {h["region"] for h in own.json()["items"]} == {"KG-T"}
        _problem(other, 403, "region_not_allowed")
        _problem(other_district, 403, "region_not_allowed")

    async def test_a_social_worker_sees_only_their_districts(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        # Talas districts 2-4 are used by this test alone.
        created = {
            district: (
                await _create(
                    registry_client, auth, new_household(region="KG-T", district=district)
                )
            )["id"]
            for district in ("KG-T-02", "KG-T-03", "KG-T-04")
        }
        worker = auth("social_worker", region="KG-T", districts=["KG-T-02", "KG-T-03"])

        own = await registry_client.get(URL, params={"limit": 100}, headers=worker)
        in_region = await registry_client.get(
            URL, params={"region": "KG-T", "limit": 100}, headers=worker
        )
        one_district = await registry_client.get(
            URL, params={"district": "KG-T-03"}, headers=worker
        )
        not_theirs = await registry_client.get(URL, params={"district": "KG-T-04"}, headers=worker)

        assert own.status_code == 200, own.text
        assert {h["id"] for h in own.json()["items"]} == {
            created["KG-T-02"],
            created["KG-T-03"],
        }
        assert own.json()["total"] == 2
        assert in_region.json() == own.json()
        assert [h["id"] for h in one_district.json()["items"]] == [created["KG-T-03"]]
        _problem(not_theirs, 403, "region_not_allowed")

    async def test_an_unknown_district_filter_is_refused(
        self, registry_client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await registry_client.get(
            URL, params={"district": "KG-Q-01"}, headers=auth("admin")
        )

        assert _problem(response, 422, "unknown_location")["field"] == "district"


class TestIdempotentRegistration:
    async def test_a_resent_registration_returns_the_first_household(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        body = new_household()
        headers = {
            **auth("social_worker", region=body["region"], districts=[body["district"]]),
            "Idempotency-Key": "round-2026-H2/household-17",
        }
        first = await registry_client.post(URL, json=body, headers=headers)
        resent = await registry_client.post(URL, json=body, headers=headers)

        assert (first.status_code, resent.status_code) == (201, 201), resent.text
        assert resent.json()["id"] == first.json()["id"]
        assert resent.headers["location"] == first.headers["location"]
        assert resent.headers["idempotent-replayed"] == "true"
        listed = await registry_client.get(
            URL, params={"district": body["district"], "limit": 500}, headers=headers
        )
        ids = [h["id"] for h in listed.json()["items"]]
        assert ids.count(first.json()["id"]) == 1


class TestUntrustedInput:
    """What arrives from outside: control characters and numbers past any column."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [("address", "Toktogul st.\x00 12"), ("settlement", "Kochkor\nAta")],
    )
    async def test_control_characters_in_household_text_are_422(
        self,
        registry_client: httpx.AsyncClient,
        auth: Auth,
        new_household: NewHousehold,
        field,
        value,
    ) -> None:
        response = await registry_client.post(
            URL, json=new_household(**{field: value}), headers=auth("admin")
        )

        body = _problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == [field]
        assert "control characters" in body["errors"][0]["message"]

    async def test_a_nul_in_a_members_name_is_422_naming_the_member(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        household = new_household()
        household["members"][0]["given_name"] = "Гүл" + "\x00" + "нара"

        response = await registry_client.post(URL, json=household, headers=auth("admin"))

        body = _problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == ["members.0.given_name"]

    async def test_a_nul_in_the_household_id_is_422_not_a_database_error(
        self, registry_client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await registry_client.get(f"{URL}/a%00b", headers=auth("admin"))

        _problem(response, 422, "invalid_value")

    @pytest.mark.parametrize("params", [{"offset": 2**63}, {"limit": 2**63}, {"offset": 10**30}])
    async def test_an_offset_or_limit_past_64_bits_is_422(
        self, registry_client: httpx.AsyncClient, auth: Auth, params
    ) -> None:
        response = await registry_client.get(URL, params=params, headers=auth("admin"))

        body = _problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == list(params)


class TestServiceRead:
    async def test_a_service_token_reads_one_households_contact_details(
        self, registry_client: httpx.AsyncClient, auth: Auth, new_household: NewHousehold
    ) -> None:
        body = new_household()
        created = await _create(registry_client, auth, body)

        response = await registry_client.get(
            f"{URL}/{created['id']}",
            headers={**auth("service"), "X-Purpose": "referral contact for partner"},
        )

        assert response.status_code == 200, response.text
        read = response.json()
        assert (read["address"], read["phone"]) == (body["address"], body["phone"])
        adults = [m["given_name"] for m in read["members"] if m["role"] != "child"]
        assert adults == ["Гүлнара"]

    async def test_a_service_token_lists_no_households(
        self, registry_client: httpx.AsyncClient, auth: Auth
    ) -> None:
        response = await registry_client.get(URL, headers=auth("service"))

        _problem(response, 403, "forbidden")
