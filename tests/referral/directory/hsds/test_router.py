"""HSDS 3.0 export and import of the directory: a lossless round trip, every record reported."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from kamkor_referral.directory.hsds import schemas as hsds

EXPORT = "/api/v1/partners/hsds"


async def export(harness: Any) -> dict[str, Any]:
    response = await harness.client.get(EXPORT, headers=harness.token("social_worker"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def import_(harness: Any, document: dict[str, Any]) -> dict[str, Any]:
    response = await harness.client.post(EXPORT, json=document, headers=harness.token())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def a_rich_organisation(directory: Any) -> str:
    """An organisation using every field the export carries."""
    created = await directory.client.post(
        "/api/v1/partners",
        json={
            "name": "Round-trip crisis centre",
            "type": "crisis_centre",
            "languages": ["ky", "ru", "en"],
            "contact": "+996 555 000 111",
            "description": "Mothers with newborns",
            "email": "help@example.kg",
            "website": "https://crisis.example.kg",
            "active": False,
        },
        headers=directory.token(),
    )
    assert created.status_code == 201, created.text
    org_id: str = created.json()["id"]
    service = await directory.client.post(
        f"/api/v1/partners/{org_id}/services",
        json={
            "service_type": "crisis_centre",
            "name": "Beds for mothers",
            "status": "inactive",
            "accepts_referrals": False,
            "languages": ["ru"],
            "min_age": 0,
            "max_age": 1,
            "sex_eligibility": "female",
            "open_referral_limit": 4,
            "description": "Up to a year",
            "areas": [{"kind": "country", "code": "KG"}, {"kind": "district", "code": "KG-J-06"}],
        },
        headers=directory.token(),
    )
    assert service.status_code == 201, service.text
    return org_id


def attribute(link_id: str, taxonomy: str, code: str, value: str | None = None) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "link_id": link_id,
        "link_type": taxonomy,
        "link_entity": "organization" if "organization" in taxonomy else "service",
        "taxonomy_term_id": str(uuid.uuid4()),
        "taxonomy_term": {
            "id": str(uuid.uuid4()),
            "code": code,
            "name": code,
            "description": taxonomy,
            "taxonomy": taxonomy,
        },
        "value": value,
    }


def an_hsds_service(
    service_id: str, *, areas: list[str], service_type: str | None
) -> dict[str, Any]:
    attributes = [attribute(service_id, hsds.SERVICE_TYPE, service_type)] if service_type else []
    return {
        "id": service_id,
        "name": "Legal help",
        "status": "active",
        "service_areas": [
            {"id": str(uuid.uuid4()), "service_id": service_id, "name": code, "extent": code}
            for code in areas
        ],
        "attributes": attributes,
    }


def an_hsds_organisation(org_id: str, *services: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "id": org_id,
        "name": "Imported legal clinic",
        "description": "",
        "attributes": [
            attribute(org_id, hsds.ORGANIZATION_TYPE, "legal_aid"),
            attribute(org_id, hsds.ORGANIZATION_LANGUAGE, "ru"),
        ],
        "services": list(services),
        **fields,
    }


class TestExport:
    async def test_hsds_field_names_and_kamkor_attributes(self, directory: Any) -> None:
        org_id = await a_rich_organisation(directory)
        document = await export(directory)
        [org] = [o for o in document["contents"] if o["id"] == org_id]
        assert org["name"] == "Round-trip crisis centre"
        assert org["email"] == "help@example.kg" and org["website"] == "https://crisis.example.kg"
        org_terms = {
            a["taxonomy_term"]["taxonomy"]: a["taxonomy_term"]["code"] for a in org["attributes"]
        }
        assert org_terms[hsds.ORGANIZATION_TYPE] == "crisis_centre"
        assert org_terms[hsds.ORGANIZATION_ACTIVE] == "false"
        [service] = org["services"]
        assert service["organization_id"] == org_id
        assert service["status"] == "inactive"
        assert service["minimum_age"] == 0 and service["maximum_age"] == 1
        assert [lang["code"] for lang in service["languages"]] == ["ru"]
        assert {(a["extent"], a["extent_type"]) for a in service["service_areas"]} == {
            ("KG", "text"),
            ("KG-J-06", "text"),
        }
        assert all(a["service_id"] == service["id"] for a in service["service_areas"])
        terms = {
            a["taxonomy_term"]["taxonomy"]: (a["taxonomy_term"]["code"], a.get("value"))
            for a in service["attributes"]
        }
        assert terms[hsds.SERVICE_TYPE] == ("crisis_centre", None)
        assert terms[hsds.SEX_ELIGIBILITY] == ("female", None)
        assert terms[hsds.OPEN_REFERRAL_LIMIT] == ("limit", "4")
        assert terms[hsds.ACCEPTS_REFERRALS] == ("false", None)
        assert document["total_items"] == len(document["contents"])

    async def test_anyone_signed_in_exports_only_admins_import(self, directory: Any) -> None:
        partner = await directory.client.get(EXPORT, headers=directory.token("partner"))
        assert partner.status_code == 200
        assert (await directory.client.get(EXPORT)).status_code == 401
        refused = await directory.client.post(
            EXPORT, json={"contents": []}, headers=directory.token("supervisor")
        )
        assert refused.status_code == 403


class TestRoundTrip:
    async def test_export_import_export_is_equal(
        self, directory: Any, empty_directory: Any
    ) -> None:
        await a_rich_organisation(directory)
        source = await export(directory)
        assert (await export(empty_directory))["contents"] == []

        report = await import_(empty_directory, source)
        services = sum(len(o["services"]) for o in source["contents"])
        assert report["rejected"] == 0, report
        assert report["created"] == len(source["contents"]) + services
        assert await export(empty_directory) == source

        again = await import_(empty_directory, source)
        assert again["created"] == 0 and again["updated"] == 0 and again["rejected"] == 0
        assert again["unchanged"] == report["created"]
        assert await export(empty_directory) == source

    async def test_a_reimport_updates_by_id(self, directory: Any) -> None:
        org_id = await a_rich_organisation(directory)
        document = await export(directory)
        [org] = [copy.deepcopy(o) for o in document["contents"] if o["id"] == org_id]
        org["name"] = "Renamed by import"
        org["services"][0]["maximum_age"] = 2
        report = await import_(directory, {"contents": [org]})
        assert [(r["entity"], r["outcome"]) for r in report["records"]] == [
            ("organization", "updated"),
            ("service", "updated"),
        ]
        read = await directory.client.get(f"/api/v1/partners/{org_id}", headers=directory.token())
        body = read.json()
        assert body["name"] == "Renamed by import" and body["version"] == 2
        assert body["services"][0]["max_age"] == 2 and body["services"][0]["version"] == 2


class TestBadRecords:
    async def test_a_service_of_another_organisation_is_not_moved(self, directory: Any) -> None:
        owner = await a_rich_organisation(directory)
        document = await export(directory)
        [owned] = [o for o in document["contents"] if o["id"] == owner]
        service = copy.deepcopy(owned["services"][0])
        service.pop("organization_id")
        other = str(uuid.uuid4())
        report = await import_(directory, {"contents": [an_hsds_organisation(other, service)]})
        assert [r["outcome"] for r in report["records"]] == ["created", "rejected"]
        assert report["records"][1]["errors"][0]["message"] == f"belongs to organization {owner}"
        read = await directory.client.get(f"/api/v1/partners/{owner}", headers=directory.token())
        assert [s["id"] for s in read.json()["services"]] == [service["id"]]

    async def test_each_bad_record_is_reported_and_the_good_ones_kept(self, directory: Any) -> None:
        good_org, good_service = str(uuid.uuid4()), str(uuid.uuid4())
        bad_area, untyped = str(uuid.uuid4()), str(uuid.uuid4())
        bad_email_org, orphan = str(uuid.uuid4()), str(uuid.uuid4())
        document = {
            "contents": [
                an_hsds_organisation(
                    good_org,
                    an_hsds_service(good_service, areas=["KG-J"], service_type="legal_aid"),
                    an_hsds_service(bad_area, areas=["KG-J", "KG-ZZ"], service_type="legal_aid"),
                    an_hsds_service(untyped, areas=["KG"], service_type=None),
                    an_hsds_service(good_service, areas=["KG"], service_type="legal_aid"),
                ),
                an_hsds_organisation(
                    bad_email_org,
                    an_hsds_service(orphan, areas=["KG"], service_type="legal_aid"),
                    email="nope",
                ),
                {"name": "No id at all"},
            ]
        }
        report = await import_(directory, document)
        outcomes = [(r["entity"], r["id"], r["outcome"]) for r in report["records"]]
        assert outcomes == [
            ("organization", good_org, "created"),
            ("service", good_service, "created"),
            ("service", bad_area, "rejected"),
            ("service", untyped, "rejected"),
            ("service", good_service, "rejected"),
            ("organization", bad_email_org, "rejected"),
            ("service", orphan, "rejected"),
            ("organization", None, "rejected"),
        ]
        assert (report["created"], report["rejected"]) == (2, 6)
        errors = {(r["id"], r["outcome"]): r["errors"] for r in report["records"]}
        assert errors[(bad_area, "rejected")] == [
            {
                "field": "contents.0.services.1.service_areas.1.extent",
                "message": "KG-ZZ is not KG, a region or a district code",
            }
        ]
        assert errors[(untyped, "rejected")][0]["field"] == "contents.0.services.2.service_type"
        assert "twice" in report["records"][4]["errors"][0]["message"]
        assert report["records"][5]["errors"][0]["field"] == "contents.1.email"
        assert report["records"][7]["errors"][0]["field"] == "contents.2.id"

        read = await directory.client.get(f"/api/v1/partners/{good_org}", headers=directory.token())
        [service] = read.json()["services"]
        assert service["id"] == good_service
        assert service["areas"] == [{"kind": "region", "code": "KG-J"}]
        missing = await directory.client.get(
            f"/api/v1/partners/{bad_email_org}", headers=directory.token()
        )
        assert missing.status_code == 404
