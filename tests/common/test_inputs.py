"""Clean text and bounded counts in request schemas; the request header limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ValidationError

from kamkor_common.errors import install_error_handlers
from kamkor_common.inputs import MAX_COUNT, Count, HeaderLimit, NoteText, PlainText


class Form(BaseModel):
    name: PlainText
    note: NoteText = ""
    beds: Count = 0


class TestPlainText:
    @pytest.mark.parametrize("name", ["Айдай", "Toktogul st. 12", "O'Brien-Łukasz", ""])
    def test_ordinary_text_passes(self, name) -> None:
        assert Form(name=name).name == name

    @pytest.mark.parametrize(
        "name", ["a\x00b", "line\nbreak", "tab\there", "bell\x07", "del\x7f", "c1\x85"]
    )
    def test_control_characters_are_refused(self, name) -> None:
        with pytest.raises(ValidationError, match="should match pattern"):
            Form(name=name)

    def test_a_lone_surrogate_is_refused(self) -> None:
        # JSON can carry one ("\ud800"); PostgreSQL could not store it.
        with pytest.raises(ValidationError):
            Form(name="a\ud800")

    def test_the_documented_pattern_says_so(self) -> None:
        schema = Form.model_json_schema()["properties"]
        assert schema["name"]["pattern"].startswith("^[^\\u0000-\\u001f")
        assert "pattern" in schema["note"]


class TestValidationMessage:
    async def test_a_control_character_is_named_as_such_in_the_problem(self) -> None:
        app = FastAPI()
        install_error_handlers(app)

        @app.post("/forms")
        async def create(form: Form) -> dict[str, str]:
            return {"name": form.name}

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.post("/forms", json={"name": "a\x00", "note": "b\x1b"})

        assert response.status_code == 422
        errors = {e["field"]: e["message"] for e in response.json()["errors"]}
        assert errors == {
            "name": "must not contain control characters",
            "note": "must not contain control characters other than newlines and tabs",
        }


class TestNoteText:
    def test_newlines_and_tabs_are_kept(self) -> None:
        assert Form(name="x", note="first line\r\n\tsecond").note == "first line\r\n\tsecond"

    @pytest.mark.parametrize("note", ["a\x00", "\x1b[31mred", "\x0b"])
    def test_other_control_characters_are_refused(self, note) -> None:
        with pytest.raises(ValidationError, match="should match pattern"):
            Form(name="x", note=note)


class TestCount:
    @pytest.mark.parametrize("beds", [-1, MAX_COUNT + 1, 2**63])
    def test_out_of_range_is_refused(self, beds) -> None:
        with pytest.raises(ValidationError):
            Form(name="x", beds=beds)


@pytest.fixture
async def limited() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(HeaderLimit, max_bytes=1024)

    @app.get("/ok")
    async def ok() -> dict[str, str]:
        return {"status": "ok"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


class TestHeaderLimit:
    async def test_headers_under_the_limit_pass(self, limited) -> None:
        response = await limited.get("/ok", headers={"X-Note": "x" * 500})
        assert response.status_code == 200

    async def test_one_huge_header_or_many_small_ones_are_431(self, limited) -> None:
        huge = await limited.get("/ok", headers={"Authorization": "Bearer " + "x" * 2000})
        many = await limited.get("/ok", headers={f"X-{i}": "y" * 40 for i in range(40)})
        for response in (huge, many):
            assert response.status_code == 431
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "header_too_large"
