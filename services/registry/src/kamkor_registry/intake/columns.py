"""The columns of an intake file: one row per child, with the child's household.

The same facts the households and persons APIs accept, flattened: a row names its
household by a reference of the field round (`household_ref`, unique within a district),
so that the rows of one family, in one file or in several, land in one household.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kamkor_common.events.schemas.registry import SchoolEnrolment
from kamkor_common.inputs import PlainText
from kamkor_registry.households.schemas import Language, Sex

GrownUpRole = Literal["parent", "caregiver", "grandparent", "other"]
PIN = r"^\d{14}$"


class IntakeRecord(BaseModel):
    """One row: a child, the household they live in, and the grown-up caring for them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    household_ref: PlainText = Field(min_length=1, max_length=64)
    region: PlainText = Field(min_length=1, max_length=16)
    district: PlainText = Field(min_length=1, max_length=16)
    settlement: PlainText = Field(min_length=1, max_length=200)
    address: PlainText = Field(min_length=1, max_length=300)
    phone: str | None = Field(default=None, max_length=32, pattern=r"^\+?[0-9][0-9 ()-]{4,30}$")
    language: Language
    family_name: PlainText = Field(min_length=1, max_length=100)
    given_name: PlainText = Field(min_length=1, max_length=100)
    patronymic: PlainText | None = Field(default=None, max_length=100)
    sex: Sex
    birth_date: date
    pin: str | None = Field(default=None, pattern=PIN)
    disability: bool | None = None
    school_enrolment: SchoolEnrolment | None = None
    school: PlainText | None = Field(default=None, max_length=200)
    caregiver_role: GrownUpRole | None = None
    caregiver_family_name: PlainText | None = Field(default=None, max_length=100)
    caregiver_given_name: PlainText | None = Field(default=None, max_length=100)
    caregiver_patronymic: PlainText | None = Field(default=None, max_length=100)
    caregiver_sex: Sex | None = None
    caregiver_birth_date: date | None = None
    caregiver_pin: str | None = Field(default=None, pattern=PIN)

    @property
    def has_caregiver(self) -> bool:
        return any(
            getattr(self, name) is not None
            for name in ("caregiver_family_name", "caregiver_given_name", "caregiver_pin")
        )


COLUMNS: tuple[str, ...] = tuple(IntakeRecord.model_fields)
REQUIRED: tuple[str, ...] = tuple(
    name for name, field in IntakeRecord.model_fields.items() if field.is_required()
)
# What a caregiver needs once any of their columns is filled.
CAREGIVER_REQUIRED = ("caregiver_family_name", "caregiver_given_name", "caregiver_sex")
CAREGIVER_REQUIRED_WITH_BIRTH = (*CAREGIVER_REQUIRED, "caregiver_birth_date")

EXAMPLE: dict[str, str] = {
    "household_ref": "2026-H2/KG-J-06/0001",
    "region": "KG-J",
    "district": "KG-J-06",
    "settlement": "Kochkor-Ata",
    "address": "Toktogul st. 12",
    "phone": "+996 555 123 456",
    "language": "ky",
    "family_name": "Адылбекова",
    "given_name": "Айдай",
    "patronymic": "Нурлановна",
    "sex": "female",
    "birth_date": "2016-04-12",
    "pin": "",
    "disability": "",
    "school_enrolment": "enrolled",
    "school": "School No. 3",
    "caregiver_role": "grandparent",
    "caregiver_family_name": "Адылбекова",
    "caregiver_given_name": "Гүлнара",
    "caregiver_patronymic": "Асановна",
    "caregiver_sex": "female",
    "caregiver_birth_date": "1961-03-02",
    "caregiver_pin": "",
}


def template_csv() -> str:
    """The header and one example row, for a spreadsheet to start from."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(EXAMPLE)
    return out.getvalue()


class ColumnsProblem(ValueError):
    """The header of a CSV file is not one the registry reads."""


def check_header(header: list[str]) -> list[str]:
    """The header's columns, if none is unknown, doubled or missing among the required."""
    names = [name.strip().lstrip("\ufeff") for name in header]
    unknown = [name for name in names if name not in COLUMNS]
    doubled = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in REQUIRED if name not in names]
    problems = []
    if unknown:
        problems.append(f"unknown columns: {', '.join(unknown)}")
    if doubled:
        problems.append(f"columns given twice: {', '.join(doubled)}")
    if missing:
        problems.append(f"missing columns: {', '.join(missing)}")
    if problems:
        raise ColumnsProblem("; ".join(problems))
    return names


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str


@dataclass(frozen=True)
class RawRow:
    """A row as read: its number in the file and its values, or why it could not be read."""

    number: int
    values: dict[str, Any] | None
    problem: Rejection | None = None


def read_csv(text: TextIO) -> Iterator[RawRow]:
    """Rows of a CSV file; the header is row 1, so numbers match a spreadsheet's."""
    reader = csv.reader(text)
    header = check_header(next(reader, []))
    for index, cells in enumerate(reader, start=2):
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield RawRow(
                index,
                None,
                Rejection("invalid_row", f"{len(cells)} values where the header has {len(header)}"),
            )
            continue
        yield RawRow(index, dict(zip(header, cells, strict=True)))


def read_jsonl(text: TextIO) -> Iterator[RawRow]:
    """Rows of a JSON lines file, one object a line; numbers are line numbers."""
    for index, line in enumerate(text, start=1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except ValueError as exc:
            yield RawRow(index, None, Rejection("invalid_json", f"not JSON: {exc}"))
            continue
        if not isinstance(values, dict):
            yield RawRow(index, None, Rejection("invalid_json", "a line must be a JSON object"))
            continue
        yield RawRow(index, values)


def _blank_to_none(values: dict[str, Any]) -> dict[str, Any]:
    # An empty cell is a value not known, as a missing key is: left out, so that a
    # required column left empty reads as missing.
    return {
        k: v
        for k, v in values.items()
        if v is not None and not (isinstance(v, str) and not v.strip())
    }


def _code(field: str, error_type: str) -> str:
    if error_type == "missing":
        return "missing_field"
    if error_type == "extra_forbidden":
        return "unknown_field"
    if field in ("birth_date", "caregiver_birth_date"):
        return "invalid_birth_date"
    if field in ("pin", "caregiver_pin"):
        return "invalid_pin"
    return "invalid_value"


def parse(values: dict[str, Any]) -> IntakeRecord | Rejection:
    """The row as a record, or the first reason it is refused (all reasons in the message)."""
    if any(isinstance(v, str) and "\ufffd" in v for v in values.values()):
        return Rejection("invalid_encoding", "the row is not valid UTF-8")
    try:
        record = IntakeRecord.model_validate(_blank_to_none(values))
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        message = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}".replace(
                "String should match pattern '^\\d{14}$'", "a PIN is 14 digits"
            )
            for e in errors
        )
        return Rejection(_code(field, first["type"]), message)
    if record.has_caregiver:
        missing = [name for name in CAREGIVER_REQUIRED_WITH_BIRTH if getattr(record, name) is None]
        if missing:
            return Rejection("missing_field", f"a caregiver needs {', '.join(missing)}")
    if record.pin is not None and record.pin == record.caregiver_pin:
        return Rejection("invalid_pin", "the child and the caregiver have the same PIN")
    return record
