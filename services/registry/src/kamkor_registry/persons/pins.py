"""The personal identification number (ПИН) in its common form, checked against the record.

14 digits: the first gives sex (1 female, 2 male), the next eight the birth date
(DDMMYYYY). A PIN that disagrees with the record is kept as given and warned about, for a
person to review: the record may be wrong, or the PIN may not be in the common form.
"""

from __future__ import annotations

import re
from datetime import date

from kamkor_registry.households.models import Person
from kamkor_registry.households.schemas import RecordWarning

PIN_PATTERN = re.compile(r"\d{14}")
SEX_DIGITS = {"1": "female", "2": "male"}


def pin_birth_date(pin: str) -> date | None:
    """The birth date a PIN encodes in digits 2-9 (DDMMYYYY), or None if they are no date."""
    try:
        return date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3]))
    except ValueError:
        return None


def _birth_date_warning(person: Person, pin: str) -> RecordWarning | None:
    encoded = pin_birth_date(pin)
    if encoded == person.birth_date:
        return None
    if encoded is None:
        message = f"PIN digits 2-9 ({pin[1:9]}) are not a date (DDMMYYYY)"
    else:
        message = (
            f"PIN encodes birth date {encoded.isoformat()}, "
            f"but the recorded birth date is {person.birth_date.isoformat()}"
        )
    return RecordWarning(
        code="pin_birth_date_mismatch", person_id=person.id, field="pin", message=message
    )


def _sex_warning(person: Person, pin: str) -> RecordWarning | None:
    encoded = SEX_DIGITS.get(pin[0])
    if encoded == person.sex:
        return None
    if encoded is None:
        message = f"PIN first digit {pin[0]} gives no sex (1 female, 2 male)"
    else:
        message = f"PIN first digit {pin[0]} means {encoded}, but the recorded sex is {person.sex}"
    return RecordWarning(code="pin_sex_mismatch", person_id=person.id, field="pin", message=message)


def pin_warnings(person: Person) -> list[RecordWarning]:
    """What in the person's PIN disagrees with their record: sex digit, then birth date."""
    if person.pin is None:
        return []
    checks = (_sex_warning(person, person.pin), _birth_date_warning(person, person.pin))
    return [warning for warning in checks if warning is not None]
