"""What the shelter API accepts: clean names and counts the database can hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kamkor_common.inputs import MAX_COUNT
from kamkor_shelter.shelters.schemas import CategoryUpdate, ShelterCreate


def _shelter(**overrides: object) -> dict[str, object]:
    return {
        "organization_id": "0b6f3c1e-6a51-4c55-9a0e-000000000003",
        "name": "Family shelter, Jalal-Abad",
        "region": "KG-J",
        "district": "KG-J-09",
        "beds": {"family": 5},
    } | overrides


class TestCategoryUpdate:
    def test_the_largest_count_passes(self) -> None:
        assert CategoryUpdate(total=MAX_COUNT).total == MAX_COUNT

    @pytest.mark.parametrize("field", ["total", "out_of_service", "occupied"])
    @pytest.mark.parametrize("value", [MAX_COUNT + 1, 2**63, -1])
    def test_a_count_out_of_range_is_refused(self, field, value) -> None:
        with pytest.raises(ValidationError) as raised:
            CategoryUpdate.model_validate({field: value})
        assert [e["loc"] for e in raised.value.errors()] == [(field,)]


class TestShelterCreate:
    def test_a_valid_shelter_passes(self) -> None:
        assert ShelterCreate.model_validate(_shelter()).name == "Family shelter, Jalal-Abad"

    @pytest.mark.parametrize("field", ["name", "organization_id", "id"])
    def test_control_characters_are_refused(self, field) -> None:
        with pytest.raises(ValidationError, match="should match pattern"):
            ShelterCreate.model_validate(_shelter(**{field: "shelter\x00 1"}))

    def test_bed_totals_past_any_shelter_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            ShelterCreate.model_validate(_shelter(beds={"family": 2**63}))
