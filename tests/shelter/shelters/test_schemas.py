"""What the shelter API accepts: clean names and counts the database can hold."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kamkor_shelter.shelters.schemas import MAX_BEDS, CategoryUpdate, ShelterCreate, ShelterUpdate


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
        assert CategoryUpdate(total=MAX_BEDS).total == MAX_BEDS

    @pytest.mark.parametrize("field", ["total", "out_of_service"])
    @pytest.mark.parametrize("value", [MAX_BEDS + 1, 2**63, -1])
    def test_a_count_out_of_range_is_refused(self, field, value) -> None:
        with pytest.raises(ValidationError) as raised:
            CategoryUpdate.model_validate({field: value})
        assert [e["loc"] for e in raised.value.errors()] == [(field,)]

    def test_occupied_beds_are_not_set_by_hand(self) -> None:
        # They are the stays: arrivals and departures.
        with pytest.raises(ValidationError, match="extra"):
            CategoryUpdate.model_validate({"occupied": 1})


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

    def test_a_bare_number_is_a_total_and_counts_may_be_given_in_full(self) -> None:
        shelter = ShelterCreate.model_validate(
            _shelter(beds={"family": 5, "woman": {"total": 3, "out_of_service": 1}})
        )
        assert {c: (b.total, b.out_of_service) for c, b in shelter.beds.items()} == {
            "family": (5, 0),
            "woman": (3, 1),
        }

    def test_more_out_of_service_than_there_are_beds_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="cannot exceed the total"):
            ShelterCreate.model_validate(
                _shelter(beds={"family": {"total": 2, "out_of_service": 3}})
            )

    @pytest.mark.parametrize("total", [MAX_BEDS + 1, -1])
    def test_totals_past_the_upper_bound_are_refused(self, total) -> None:
        with pytest.raises(ValidationError):
            ShelterCreate.model_validate(_shelter(beds={"family": total}))

    def test_an_unknown_category_is_refused(self) -> None:
        with pytest.raises(ValidationError) as raised:
            ShelterCreate.model_validate(_shelter(beds={"dormitory": 4}))
        assert raised.value.errors()[0]["loc"] == ("beds", "dormitory", "[key]")

    def test_a_district_outside_the_region_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="is not in region"):
            ShelterCreate.model_validate(_shelter(district="KG-C-01"))


class TestShelterUpdate:
    def test_only_the_address_may_be_cleared(self) -> None:
        assert ShelterUpdate.model_validate({"address": None}).model_dump(exclude_unset=True) == {
            "address": None
        }
        with pytest.raises(ValidationError, match="not set to null"):
            ShelterUpdate.model_validate({"name": None})
