"""The PIN checks: sex digit and birth date, as warnings."""

from __future__ import annotations

from datetime import date

from kamkor_registry.households.models import Person
from kamkor_registry.persons.pins import pin_birth_date, pin_warnings


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


class TestPinSexDigit:
    def test_a_male_with_a_female_digit_is_warned_about(self) -> None:
        person = Person(
            family_name="Адылбеков",
            given_name="Нурлан",
            sex="male",
            birth_date=date(2016, 4, 12),
            pin="11204201612345",
        )

        (warning,) = pin_warnings(person)

        assert (warning.code, warning.field) == ("pin_sex_mismatch", "pin")
        assert "female" in warning.message and "male" in warning.message

    def test_a_digit_that_gives_no_sex_is_warned_about(self) -> None:
        (warning,) = pin_warnings(_person("31204201612345", date(2016, 4, 12)))

        assert warning.code == "pin_sex_mismatch"
        assert "gives no sex" in warning.message

    def test_both_mismatches_are_reported_sex_first(self) -> None:
        warnings = pin_warnings(_person("22104201612345", date(2016, 4, 12)))

        assert [w.code for w in warnings] == ["pin_sex_mismatch", "pin_birth_date_mismatch"]
