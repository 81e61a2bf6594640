from __future__ import annotations

from kamkor_gateway.apidocs.service import merge

OWN = {
    "openapi": "3.1.0",
    "info": {"title": "Kamkor API", "version": "0.1.0", "description": "All of it."},
    "paths": {"/api/v1/families/{household_id}": {"get": {"tags": ["families"]}}},
    "components": {"schemas": {"FamilyRead": {"type": "object"}}},
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _service(path: str, schemas: dict, ref: str) -> dict:
    return {
        "openapi": "3.1.0",
        "paths": {
            path: {"get": {"responses": {"200": {"content": {"x": {"schema": _ref(ref)}}}}}},
            "/livez": {"get": {}},
            "/{path}": {"get": {}},
        },
        "components": {"schemas": schemas},
    }


class TestMerge:
    def test_keeps_own_paths_and_adds_public_service_paths(self):
        merged = merge(
            OWN,
            {"registry": _service("/api/v1/registry/regions", {"A": {}}, "A")},
            unavailable=[],
        )

        assert set(merged["paths"]) == {
            "/api/v1/families/{household_id}",
            "/api/v1/registry/regions",
        }
        assert merged["paths"]["/api/v1/registry/regions"]["get"]["tags"] == ["registry"]

    def test_keeps_partner_paths(self):
        merged = merge(
            OWN, {"referral": _service("/partner/v1/referrals", {}, "X")}, unavailable=[]
        )

        assert "/partner/v1/referrals" in merged["paths"]

    def test_shares_equal_schemas_and_renames_different_ones(self):
        error = {"type": "object", "properties": {"detail": {"type": "string"}}}
        registry = _service(
            "/api/v1/registry/households",
            {"Error": error, "Note": {"properties": {"text": {}}}, "Household": _ref("Note")},
            "Household",
        )
        risk = _service(
            "/api/v1/risk/flags",
            {"Error": error, "Note": {"properties": {"score": {}}}, "Flag": _ref("Note")},
            "Note",
        )

        merged = merge(OWN, {"registry": registry, "risk": risk}, unavailable=[])

        schemas = merged["components"]["schemas"]
        assert "risk_Error" not in schemas
        assert schemas["Note"] == {"properties": {"text": {}}}
        assert schemas["risk_Note"] == {"properties": {"score": {}}}
        assert schemas["Household"] == _ref("Note")
        assert schemas["Flag"] == _ref("risk_Note")
        flags = merged["paths"]["/api/v1/risk/flags"]["get"]["responses"]["200"]
        assert flags["content"]["x"]["schema"] == _ref("risk_Note")

    def test_requires_a_bearer_token_everywhere(self):
        merged = merge(OWN, {}, unavailable=[])

        assert merged["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
        assert merged["security"] == [{"bearerAuth": []}]

    def test_names_services_that_did_not_answer(self):
        merged = merge(OWN, {}, unavailable=["shelter", "risk"])

        assert merged["x-kamkor-unavailable-services"] == ["risk", "shelter"]
        assert "risk, shelter" in merged["info"]["description"]

    def test_does_not_change_its_input(self):
        merge(OWN, {"risk": _service("/api/v1/risk/flags", {"N": {}}, "N")}, unavailable=["x"])

        assert set(OWN["paths"]) == {"/api/v1/families/{household_id}"}
        assert "security" not in OWN


class TestMergedProblems:
    def test_every_operation_documents_the_gateways_own_problems(self):
        service = _service("/api/v1/risk/flags", {}, "X")
        service["paths"]["/api/v1/risk/screenings"] = {
            "post": {"requestBody": {"content": {}}, "responses": {"201": {}}}
        }

        merged = merge(OWN, {"risk": service}, unavailable=[])

        problem = {"application/problem+json": {"schema": _ref("Problem")}}
        flags = merged["paths"]["/api/v1/risk/flags"]["get"]["responses"]
        screenings = merged["paths"]["/api/v1/risk/screenings"]["post"]["responses"]
        family = merged["paths"]["/api/v1/families/{household_id}"]["get"]["responses"]
        for responses in (flags, screenings, family):
            for status in ("400", "429", "502", "503", "504"):
                assert responses[status]["content"] == problem
        # Only an operation that takes a body can be refused for its size.
        assert "413" in screenings and "413" not in flags
