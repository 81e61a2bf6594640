"""The pure rules of the households service: PINs."""

from __future__ import annotations

from datetime import date

from kamkor_registry.households.models import Person
from kamkor_registry.households.service import pin_birth_date, pin_warnings


def _person(pin: str | None, birth_date: date) -> Person:
    return Person(
        family_name="Адылбекова", given_name="Айдай", sex="female", birth_date=birth_date, pin=pin
    )


class TestPinBirthDate:
    def test_reads_digits_two_to_nine_as_ddmmyyyy(self) -> None:
        assert pin_birth_date("11204201612345") == date(2016, 4, 12)

    def test_digits_that_are_no_date_give_none(self) -> None:
        assert pin_birth_date("13113201612345") is None


class TestPinWarnings:
    def test_a_matching_pin_gives_no_warning(self) -> None:
        assert pin_warnings(_person("11204201612345", date(2016, 4, 12))) == []

    def test_no_pin_gives_no_warning(self) -> None:
        assert pin_warnings(_person(None, date(2016, 4, 12))) == []

    def test_a_mismatch_is_warned_about_naming_both_dates(self) -> None:
        person = _person("12104201612345", date(2016, 4, 12))

        (warning,) = pin_warnings(person)

        assert (warning.code, warning.person_id, warning.field) == (
            "pin_birth_date_mismatch",
            person.id,
            "pin",
        )
        assert "2016-04-21" in warning.message and "2016-04-12" in warning.message

    def test_an_unreadable_date_is_warned_about(self) -> None:
        (warning,) = pin_warnings(_person("19999201612345", date(2016, 4, 12)))

        assert "not a date" in warning.message
