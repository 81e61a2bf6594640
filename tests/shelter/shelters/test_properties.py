"""The availability arithmetic on its own: available = total - out of service - occupied - held."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kamkor_shelter.shelters.models import ShelterCategory
from kamkor_shelter.shelters.service import free_beds

PROPERTY = settings(deadline=None, derandomize=True, database=None, max_examples=200)
counts = st.integers(0, 1_000)


def _category(total: int, out_of_service: int) -> ShelterCategory:
    return ShelterCategory(
        shelter_id="s", category="family", total=total, out_of_service=out_of_service
    )


class TestFreeBeds:
    @PROPERTY
    @given(total=counts, out_of_service=counts, occupied=counts, held=counts)
    def test_is_the_difference_and_never_below_zero(
        self, total: int, out_of_service: int, occupied: int, held: int
    ) -> None:
        category = _category(total, out_of_service)

        free = free_beds(category, held=held, occupied=occupied)

        assert free == max(0, total - out_of_service - occupied - held)
        assert 0 <= free <= total

    @PROPERTY
    @given(
        total=counts, out_of_service=counts, occupied=counts, held=counts, more=st.integers(1, 5)
    )
    def test_taking_a_bed_never_frees_one(
        self, total: int, out_of_service: int, occupied: int, held: int, more: int
    ) -> None:
        category = _category(total, out_of_service)

        before = free_beds(category, held=held, occupied=occupied)
        assert free_beds(category, held=held + more, occupied=occupied) == max(0, before - more)
        assert free_beds(category, held=held, occupied=occupied + more) == max(0, before - more)
