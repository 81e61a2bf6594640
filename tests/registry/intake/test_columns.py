"""The intake columns: what a row must hold, and the reason code of each refusal."""

from __future__ import annotations

import csv
import io

import pytest

from kamkor_registry.intake import columns
from kamkor_registry.intake.columns import ColumnsProblem, IntakeRecord, Rejection


def _row(**changes: str) -> dict[str, str]:
    return {**columns.EXAMPLE, **changes}


class TestTemplate:
    def test_header_is_the_columns_and_example_parses(self) -> None:
        rows = list(csv.DictReader(io.StringIO(columns.template_csv())))
        assert tuple(rows[0]) == columns.COLUMNS
        assert isinstance(columns.parse(rows[0]), IntakeRecord)


class TestHeader:
    def test_unknown_and_missing_columns_named(self) -> None:
        header = [c for c in columns.COLUMNS if c != "birth_date"] + ["shoe_size"]
        with pytest.raises(
            ColumnsProblem, match=r"unknown columns: shoe_size.*missing columns: birth_date"
        ):
            columns.check_header(header)

    def test_optional_columns_may_be_left_out(self) -> None:
        assert columns.check_header(list(columns.REQUIRED)) == list(columns.REQUIRED)


class TestParse:
    def test_blank_cells_are_unknown_values(self) -> None:
        record = columns.parse(_row(pin="", patronymic=" "))
        assert isinstance(record, IntakeRecord)
        assert record.pin is None and record.patronymic is None

    @pytest.mark.parametrize(
        ("changes", "code"),
        [
            ({"given_name": ""}, "missing_field"),
            ({"birth_date": "31.02.2016"}, "invalid_birth_date"),
            ({"pin": "12345"}, "invalid_pin"),
            ({"sex": "f"}, "invalid_value"),
            ({"language": "de"}, "invalid_value"),
            ({"caregiver_birth_date": ""}, "missing_field"),
            ({"pin": "21204201600001", "caregiver_pin": "21204201600001"}, "invalid_pin"),
            ({"family_name": "Ali\x07"}, "invalid_value"),
        ],
    )
    def test_refusals_carry_a_code(self, changes: dict[str, str], code: str) -> None:
        problem = columns.parse(_row(**changes))
        assert isinstance(problem, Rejection)
        assert problem.code == code
        assert problem.message

    def test_unknown_json_field_refused(self) -> None:
        problem = columns.parse({**columns.EXAMPLE, "note": "x"})
        assert isinstance(problem, Rejection) and problem.code == "unknown_field"

    def test_a_pin_disagreeing_with_the_record_is_accepted_as_given(self) -> None:
        # Warnings, not refusals: the service reports them on the committed row.
        record = columns.parse(_row(pin="21204201600001", sex="female"))
        assert isinstance(record, IntakeRecord) and record.pin == "21204201600001"


class TestReaders:
    def test_csv_numbers_rows_as_a_spreadsheet(self) -> None:
        text = columns.template_csv() + "\r\n" + "a,b\r\n"
        rows = list(columns.read_csv(io.StringIO(text)))
        assert [r.number for r in rows] == [2, 4]
        assert rows[1].problem is not None and rows[1].problem.code == "invalid_row"

    def test_jsonl_bad_line_reported(self) -> None:
        rows = list(columns.read_jsonl(io.StringIO('{"a": 1}\n\nnot json\n[1]\n')))
        assert [(r.number, r.problem.code if r.problem else None) for r in rows] == [
            (1, None),
            (3, "invalid_json"),
            (4, "invalid_json"),
        ]
