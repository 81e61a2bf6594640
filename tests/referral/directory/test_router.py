"""The partner directory API: organisations with their services and service areas."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from kamkor_common.reference.partners import LEGAL_AID, ORGANIZATIONS, SHELTER_OPERATOR
from kamkor_referral.directory.models import PartnerService
from kamkor_referral.referrals.models import Referral


class TestGetPartner:
    async def test_an_organisation_with_services_and_areas(self, referral: Any) -> None:
        response = await referral.client.get(
            f"/api/v1/partners/{SHELTER_OPERATOR}", headers=referral.token("partner")
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == SHELTER_OPERATOR
        assert body["type"] == "shelter_operator"
        [service] = body["services"]
        assert service["service_type"] == "temporary_shelter"
        assert service["status"] == "active" and service["accepts_referrals"] is True
        assert service["areas"] == [{"kind": "country", "code": "KG"}]

    async def test_an_unknown_organisation_is_404(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners/00000000-0000-4000-8000-000000000000", headers=referral.token()
        )
        assert response.status_code == 404
        assert response.json()["code"] == "partner_not_found"

    async def test_a_token_is_required(self, referral: Any) -> None:
        response = await referral.client.get(f"/api/v1/partners/{LEGAL_AID}")
        assert response.status_code == 401

    async def test_every_signed_in_role_reads_it(self, referral: Any) -> None:
        for role in ("partner", "analyst", "shelter_staff", "auditor", "social_worker"):
            response = await referral.client.get(
                f"/api/v1/partners/{LEGAL_AID}", headers=referral.token(role)
            )
            assert response.status_code == 200, role


class TestListPartners:
    async def test_by_service_type_and_region(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners",
            params={"service_type": "social_benefits", "region": "KG-J"},
            headers=referral.token("analyst"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 1
        [office] = body["items"]
        assert office["name"] == "Social benefits office, Jalal-Abad Region"
        benefits = [s for s in office["services"] if s["service_type"] == "social_benefits"]
        assert benefits[0]["areas"] == [{"kind": "region", "code": "KG-J"}]

    async def test_country_wide_partners_reach_every_region(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners",
            params={"service_type": "legal_aid", "region": "KG-N"},
            headers=referral.token(),
        )
        assert [o["id"] for o in response.json()["items"]] == [LEGAL_AID]

    async def test_pages(self, referral: Any) -> None:
        response = await referral.client.get(
            "/api/v1/partners", params={"limit": 2, "offset": 1}, headers=referral.token()
        )
        body = response.json()
        assert body["limit"] == 2 and body["offset"] == 1
        assert len(body["items"]) == 2
        assert body["total"] >= len(ORGANIZATIONS)

    async def test_an_unknown_region_or_type_is_422(self, referral: Any) -> None:
        unknown_region = await referral.client.get(
            "/api/v1/partners", params={"region": "KG-X"}, headers=referral.token()
        )
        assert unknown_region.status_code == 422
        assert unknown_region.json()["errors"][0]["field"] == "region"
        unknown_type = await referral.client.get(
            "/api/v1/partners", params={"service_type": "magic"}, headers=referral.token()
        )
        assert unknown_type.status_code == 422


def organization(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Test partner {uuid.uuid4().hex[:8]}",
        "type": "ngo",
        "languages": ["ky", "ru"],
        "contact": "+996 312 000 000",
        "email": "office@example.kg",
        "website": "https://example.kg",
        **overrides,
    }


def partner_service(**overrides: Any) -> dict[str, Any]:
    return {
        "service_type": "crisis_centre",
        "name": "Crisis centre for mothers",
        "sex_eligibility": "female",
        "min_age": 0,
        "max_age": 3,
        "open_referral_limit": 5,
        "areas": [{"kind": "region", "code": "KG-J"}, {"kind": "district", "code": "KG-J-06"}],
        **overrides,
    }


async def create_organization(directory: Any, **overrides: Any) -> dict[str, Any]:
    response = await directory.client.post(
        "/api/v1/partners", json=organization(**overrides), headers=directory.token()
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_service(directory: Any, organization_id: str, **overrides: Any) -> dict[str, Any]:
    response = await directory.client.post(
        f"/api/v1/partners/{organization_id}/services",
        json=partner_service(**overrides),
        headers=directory.token(),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCreateOrganization:
    async def test_an_admin_adds_one(self, directory: Any) -> None:
        response = await directory.client.post(
            "/api/v1/partners", json=organization(), headers=directory.token()
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["ETag"] == '"1"'
        assert response.headers["Location"] == f"/api/v1/partners/{body['id']}"
        assert body["services"] == [] and body["active"] is True
        read = await directory.client.get(
            f"/api/v1/partners/{body['id']}", headers=directory.token("social_worker")
        )
        assert read.status_code == 200 and read.json()["email"] == "office@example.kg"

    async def test_only_admins_manage_the_directory(self, directory: Any) -> None:
        for role in ("social_worker", "supervisor", "partner"):
            response = await directory.client.post(
                "/api/v1/partners", json=organization(), headers=directory.token(role)
            )
            assert response.status_code == 403, role

    async def test_bad_fields_are_named(self, directory: Any) -> None:
        response = await directory.client.post(
            "/api/v1/partners",
            json=organization(languages=["de"], email="not-an-email", colour="red"),
            headers=directory.token(),
        )
        assert response.status_code == 422
        fields = {error["field"] for error in response.json()["errors"]}
        assert {"languages.0", "email", "colour"} <= fields


class TestServices:
    async def test_a_service_with_eligibility_and_areas(self, directory: Any) -> None:
        org = await create_organization(directory)
        created = await create_service(directory, org["id"])
        assert created["sex_eligibility"] == "female"
        assert created["languages"] == ["ky", "ru"]  # the organisation's
        assert {(a["kind"], a["code"]) for a in created["areas"]} == {
            ("region", "KG-J"),
            ("district", "KG-J-06"),
        }
        read = await directory.client.get(
            f"/api/v1/partners/{org['id']}/services/{created['id']}",
            headers=directory.token("supervisor"),
        )
        assert read.status_code == 200 and read.headers["ETag"] == '"1"'

    async def test_both_sexes_are_any(self, directory: Any) -> None:
        org = await create_organization(directory)
        created = await create_service(directory, org["id"], sex_eligibility=["male", "female"])
        assert created["sex_eligibility"] == "any"

    async def test_unknown_areas_are_422_with_their_fields(self, directory: Any) -> None:
        org = await create_organization(directory)
        response = await directory.client.post(
            f"/api/v1/partners/{org['id']}/services",
            json=partner_service(
                areas=[
                    {"kind": "region", "code": "KG-J"},
                    {"kind": "district", "code": "KG-J-99"},
                    {"kind": "region", "code": "KG-J-06"},
                ]
            ),
            headers=directory.token(),
        )
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "unknown_area"
        assert [e["field"] for e in body["errors"]] == ["areas.1.code", "areas.2.code"]

    async def test_an_inverted_age_range_and_a_bad_sex_are_422(self, directory: Any) -> None:
        org = await create_organization(directory)
        url = f"/api/v1/partners/{org['id']}/services"
        inverted = await directory.client.post(
            url, json=partner_service(min_age=10, max_age=5), headers=directory.token()
        )
        assert inverted.status_code == 422 and inverted.json()["code"] == "invalid_age_range"
        bad_sex = await directory.client.post(
            url, json=partner_service(sex_eligibility="women"), headers=directory.token()
        )
        assert bad_sex.status_code == 422 and bad_sex.json()["code"] == "validation_error"
        nobody = await directory.client.post(
            url, json=partner_service(sex_eligibility=[]), headers=directory.token()
        )
        assert nobody.status_code == 422
        no_area = await directory.client.post(
            url, json=partner_service(areas=[]), headers=directory.token()
        )
        assert no_area.status_code == 422

    async def test_unknown_ids_are_404_with_codes(self, directory: Any) -> None:
        org = await create_organization(directory)
        unknown = "00000000-0000-4000-8000-000000000000"
        no_org = await directory.client.post(
            f"/api/v1/partners/{unknown}/services",
            json=partner_service(),
            headers=directory.token(),
        )
        assert no_org.status_code == 404 and no_org.json()["code"] == "partner_not_found"
        no_service = await directory.client.get(
            f"/api/v1/partners/{org['id']}/services/{unknown}", headers=directory.token()
        )
        assert no_service.status_code == 404
        assert no_service.json()["code"] == "partner_service_not_found"


class TestUpdates:
    async def test_an_update_needs_the_current_etag(self, directory: Any) -> None:
        org = await create_organization(directory)
        url = f"/api/v1/partners/{org['id']}"
        missing = await directory.client.patch(
            url, json={"active": False}, headers=directory.token()
        )
        assert missing.status_code == 428 and missing.json()["code"] == "if_match_required"
        stale = await directory.client.patch(
            url, json={"active": False}, headers={**directory.token(), "If-Match": '"7"'}
        )
        assert stale.status_code == 412 and stale.json()["code"] == "version_mismatch"
        done = await directory.client.patch(
            url, json={"active": False}, headers={**directory.token(), "If-Match": '"1"'}
        )
        assert done.status_code == 200, done.text
        assert done.json()["active"] is False and done.headers["ETag"] == '"2"'
        again = await directory.client.patch(
            url, json={"name": "Renamed"}, headers={**directory.token(), "If-Match": '"1"'}
        )
        assert again.status_code == 412

    async def test_two_updates_on_one_etag_cannot_both_win(self, directory: Any) -> None:
        org = await create_organization(directory)
        url = f"/api/v1/partners/{org['id']}"
        headers = {**directory.token(), "If-Match": '"1"'}
        answers = await asyncio.gather(
            *(
                directory.client.patch(url, json={"name": f"Name {n}"}, headers=headers)
                for n in range(4)
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 412, 412, 412]
        [won] = [a for a in answers if a.status_code == 200]
        read = await directory.client.get(url, headers=directory.token())
        assert read.json()["name"] == won.json()["name"] and read.json()["version"] == 2

    async def test_a_service_update_keeps_what_was_not_sent(self, directory: Any) -> None:
        org = await create_organization(directory)
        created = await create_service(directory, org["id"])
        url = f"/api/v1/partners/{org['id']}/services/{created['id']}"
        response = await directory.client.patch(
            url,
            json={"sex_eligibility": "any", "areas": [{"kind": "country", "code": "KG"}]},
            headers={**directory.token(), "If-Match": '"1"'},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["sex_eligibility"] == "any" and body["max_age"] == 3
        assert body["areas"] == [{"kind": "country", "code": "KG"}]
        inverted = await directory.client.patch(
            url, json={"min_age": 9}, headers={**directory.token(), "If-Match": '"2"'}
        )
        assert inverted.status_code == 422 and inverted.json()["code"] == "invalid_age_range"


class TestDelete:
    async def test_open_referrals_keep_an_organisation(self, directory: Any) -> None:
        org = await create_organization(directory)
        created = await create_service(directory, org["id"])
        async with directory.database.sessionmaker() as session, session.begin():
            session.add(
                Referral(
                    household_id=str(uuid.uuid4()),
                    service_type="crisis_centre",
                    priority="urgent",
                    status="accepted",
                    region="KG-J",
                    district="KG-J-06",
                    language="ky",
                    organization_id=org["id"],
                    service_id=created["id"],
                )
            )
        url = f"/api/v1/partners/{org['id']}"
        refused = await directory.client.delete(url, headers=directory.token())
        assert refused.status_code == 409
        assert refused.json()["code"] == "organization_has_open_referrals"
        service_refused = await directory.client.delete(
            f"{url}/services/{created['id']}", headers=directory.token()
        )
        assert service_refused.json()["code"] == "service_has_open_referrals"
        assert (await directory.client.get(url, headers=directory.token())).status_code == 200

    async def test_an_organisation_without_open_referrals_goes(self, directory: Any) -> None:
        org = await create_organization(directory)
        await create_service(directory, org["id"])
        url = f"/api/v1/partners/{org['id']}"
        assert (await directory.client.delete(url, headers=directory.token())).status_code == 204
        gone = await directory.client.get(url, headers=directory.token())
        assert gone.status_code == 404
        async with directory.database.sessionmaker() as session:
            left = await session.scalar(
                select(func.count())
                .select_from(PartnerService)
                .where(col(PartnerService.organization_id) == org["id"])
            )
        assert left == 0


class TestListFilters:
    async def test_by_type_activity_and_region(self, directory: Any) -> None:
        state = await create_organization(directory, type="state_office")
        await create_service(
            directory, state["id"], areas=[{"kind": "district", "code": "KG-C-01"}]
        )
        closed = await create_organization(directory, type="state_office", active=False)
        ngo = await create_organization(directory)

        async def ids(**params: Any) -> set[str]:
            response = await directory.client.get(
                "/api/v1/partners", params={"limit": 500, **params}, headers=directory.token()
            )
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        of_type = await ids(type="state_office")
        assert {state["id"], closed["id"]} <= of_type and ngo["id"] not in of_type
        active = await ids(type="state_office", active="true")
        assert state["id"] in active and closed["id"] not in active
        assert state["id"] in await ids(region="KG-C")
        assert state["id"] not in await ids(region="KG-J")
