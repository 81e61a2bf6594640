"""What the households API accepts: names and addresses without control characters."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kamkor_registry.households.schemas import HouseholdCreate, MemberCreate

MEMBER = {
    "role": "child",
    "family_name": "Адылбекова",
    "given_name": "Айдай",
    "sex": "female",
    "birth_date": "2016-04-12",
}


class TestMemberCreate:
    def test_names_in_either_script_pass(self) -> None:
        member = MemberCreate.model_validate(MEMBER | {"patronymic": "Asanovna"})
        assert (member.family_name, member.patronymic) == ("Адылбекова", "Asanovna")

    @pytest.mark.parametrize("field", ["family_name", "given_name", "patronymic", "pin"])
    @pytest.mark.parametrize("value", ["Ай" + c + "дай" for c in ("\x00", "\n", "\u0085")])
    def test_control_characters_are_refused_in_every_text_field(self, field, value) -> None:
        with pytest.raises(ValidationError, match="should match pattern"):
            MemberCreate.model_validate(MEMBER | {field: value})

    def test_a_lone_surrogate_is_refused(self) -> None:
        # JSON may carry one ("\ud800"); PostgreSQL could not store it.
        with pytest.raises(ValidationError):
            MemberCreate.model_validate(MEMBER | {"given_name": "Ай\ud800"})


class TestHouseholdCreate:
    @pytest.mark.parametrize("field", ["region", "district", "settlement", "address"])
    def test_control_characters_are_refused(self, field) -> None:
        household = {
            "region": "KG-J",
            "district": "KG-J-06",
            "settlement": "Kochkor-Ata",
            "address": "Toktogul st. 12",
            "language": "ky",
            "members": [MEMBER],
        }
        with pytest.raises(ValidationError, match="should match pattern"):
            HouseholdCreate.model_validate(household | {field: "KG\x00J"})
