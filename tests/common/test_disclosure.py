"""Small-cell suppression: nothing hidden can be worked back from what is published."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kamkor_common.disclosure import (
    MIN_CELL,
    InvalidPeriod,
    Suppression,
    UnknownRegion,
    breakdown,
    protect,
    suppress,
)

# Small counts often, so that most tables need complementary suppression.
counts_strategy = st.integers(min_value=1, max_value=6).flatmap(
    lambda n_columns: st.lists(
        st.lists(
            st.one_of(st.integers(0, 6), st.integers(0, 60)),
            min_size=n_columns,
            max_size=n_columns,
        ),
        min_size=1,
        max_size=6,
    )
)


def _lines(done: Suppression) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Each row and column of the grid as (its inner cells, its total)."""
    height, width = len(done.grid), len(done.grid[0])
    lines = [([(i, j) for j in range(width - 1)], (i, width - 1)) for i in range(height)]
    lines += [([(i, j) for i in range(height - 1)], (height - 1, j)) for j in range(width)]
    return lines


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def _determined(done: Suppression) -> set[tuple[int, int]]:
    """Hidden cells fixed by the published figures through any combination of the totals.

    Each line says "inner cells minus total = 0"; a hidden cell is fixed when dropping its
    column from the system of hidden unknowns lowers the rank.
    """
    hidden = sorted(done.hidden)
    if not hidden:
        return set()
    index = {p: k for k, p in enumerate(hidden)}
    matrix: list[list[Fraction]] = []
    for inner, total in _lines(done):
        row = [Fraction(0)] * len(hidden)
        for p in inner:
            if p in index:
                row[index[p]] += 1
        if total in index:
            row[index[total]] -= 1
        matrix.append(row)
    full = _rank(matrix)
    return {p for p, k in index.items() if _rank([r[:k] + r[k + 1 :] for r in matrix]) < full}


class TestSuppress:
    @settings(max_examples=300, deadline=None)
    @given(counts_strategy)
    def test_no_hidden_cell_follows_from_a_published_total(self, counts: list[list[int]]) -> None:
        done = suppress(counts, n_columns=len(counts[0]))
        for inner, total in _lines(done):
            line = [*inner, total]
            hidden = [p for p in line if p in done.hidden]
            # One hidden figure in a line is its total minus the others: never allowed.
            assert len(hidden) != 1, (counts, line, hidden)

    @settings(max_examples=200, deadline=None)
    @given(counts_strategy)
    def test_no_hidden_cell_follows_from_any_combination(self, counts: list[list[int]]) -> None:
        done = suppress(counts, n_columns=len(counts[0]))
        assert _determined(done) == set(), counts

    @settings(max_examples=200, deadline=None)
    @given(counts_strategy)
    def test_small_counts_hidden_and_published_ones_true(self, counts: list[list[int]]) -> None:
        done = suppress(counts, n_columns=len(counts[0]))
        for i, row in enumerate(done.grid):
            for j, value in enumerate(row):
                if value < MIN_CELL:
                    assert (i, j) in done.hidden
                if (i, j) not in done.hidden:
                    assert done.published(i, j) == value

    def test_a_table_without_small_counts_is_published_whole(self) -> None:
        done = suppress([[10, 20], [30, 40]], n_columns=2)
        assert done.hidden == frozenset()
        assert done.grid == ((10, 20, 30), (30, 40, 70), (40, 60, 100))

    def test_the_smallest_other_cells_are_hidden_with_a_small_one(self) -> None:
        done = suppress([[3, 50, 9], [40, 60, 80], [7, 90, 70]], n_columns=3)
        # 3 is hidden; the rectangle through it that costs least takes 9, 7 and 70.
        assert done.primary == frozenset({(0, 0)})
        assert done.hidden == frozenset({(0, 0), (0, 2), (2, 0), (2, 2)})

    def test_a_small_total_is_hidden_with_a_partner(self) -> None:
        done = suppress([[1, 2], [30, 40]], n_columns=2)
        # Row 0 (1, 2, total 3) is all small; the column totals then protect them.
        assert {(0, 0), (0, 1), (0, 2)} <= done.hidden
        assert _determined(done) == set()

    def test_one_row_hides_the_matching_column_totals(self) -> None:
        done = suppress([[3, 10, 20]], n_columns=3)
        assert (0, 0) in done.hidden and (1, 0) in done.hidden
        assert _determined(done) == set()

    def test_an_empty_table_hides_its_total(self) -> None:
        done = suppress([], n_columns=2)
        assert done.hidden == frozenset({(0, 0), (0, 1), (0, 2)})

    def test_ragged_or_negative_counts_refused(self) -> None:
        with pytest.raises(ValueError, match="one count per column"):
            suppress([[1, 2], [3]], n_columns=2)
        with pytest.raises(ValueError, match="negative"):
            suppress([[1, -2]], n_columns=2)


class TestTheCheck:
    def test_it_finds_cells_that_primary_suppression_alone_leaves_open(self) -> None:
        grid = ((3, 50, 53), (40, 60, 100), (43, 110, 153))
        lonely = Suppression(grid=grid, hidden=frozenset({(0, 0)}), primary=frozenset())
        assert _determined(lonely) == {(0, 0)}
        # Two hidden cells in a row, none other in their columns: both follow from those.
        pair = Suppression(grid=grid, hidden=frozenset({(0, 0), (0, 1)}), primary=frozenset())
        assert _determined(pair) == {(0, 0), (0, 1)}


class TestProtect:
    def test_suppressed_figures_are_null_and_say_so(self) -> None:
        table = protect(
            [[3, 50, 9], [40, 60, 80], [7, 90, 70]],
            rows=["KG-B", "KG-C", "KG-J"],
            columns=["medium", "high", "critical"],
        )
        assert table.cells[0][0].model_dump() == {"count": None, "suppressed": True}
        assert table.cells[0][1].model_dump() == {"count": 50, "suppressed": False}
        assert [c.count for c in table.row_totals] == [62, 180, 167]
        assert [c.count for c in table.column_totals] == [50, 200, 159]
        assert table.total.count == 409
        assert table.rows == ["KG-B", "KG-C", "KG-J"]

    def test_labels_must_match_the_counts(self) -> None:
        with pytest.raises(ValueError, match="row label"):
            protect([[10]], rows=["a", "b"], columns=["x"])


class TestBreakdown:
    def test_a_period_is_kyrgyzstans_local_days_given_in_utc(self) -> None:
        asked = breakdown(date_from=date(2031, 3, 4), date_to=date(2031, 3, 5), region=None)
        # Bishkek is UTC+6: 4 March starts at 18:00 UTC on the 3rd; 5 March ends at 18:00.
        assert asked.since() == datetime(2031, 3, 3, 18, tzinfo=UTC)
        assert asked.until() == datetime(2031, 3, 5, 18, tzinfo=UTC)
        assert asked.since().tzinfo == UTC  # type: ignore[union-attr]
        assert breakdown(date_from=None, date_to=None, region=None).until() is None

    def test_rows_are_regions_or_one_regions_districts_then_codes_seen(self) -> None:
        everywhere = breakdown(date_from=None, date_to=None, region=None)
        assert everywhere.rows == "region"
        assert everywhere.places()[:2] == ["KG-GB", "KG-GO"] and len(everywhere.places()) == 9
        naryn = breakdown(date_from=None, date_to=None, region="KG-N")
        assert naryn.rows == "district"
        places = naryn.places(["KG-N-01", "KG-N-99"])
        assert all(p.startswith("KG-N-") for p in places) and places[-1] == "KG-N-99"

    def test_unknown_region_and_backwards_period_refused(self) -> None:
        with pytest.raises(UnknownRegion):
            breakdown(date_from=None, date_to=None, region="KG-Q")
        with pytest.raises(InvalidPeriod):
            breakdown(date_from=date(2031, 1, 2), date_to=date(2031, 1, 1), region=None)
