"""Small-cell suppression of count tables: primary below a threshold, then complementary.

A table of counts is published with its margins (row totals, column totals, grand total).
Every figure below `min_cell` is hidden (primary suppression). Hiding one figure is not
enough: a published total minus the published figures of its row would give it back. So
further figures are hidden (complementary suppression) until every hidden figure lies on a
cycle of hidden figures (rows and columns linked through hidden cells; where there is none,
the cheapest rectangle is hidden). Then each row and column that hides anything hides at
least two, and no hidden figure follows from the published ones by any sum or difference
of rows and columns: in a two-way table a hidden figure is fixed by the totals exactly when
it lies on no such cycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from kamkor_common.auth import Principal, require_roles
from kamkor_common.errors import Unprocessable
from kamkor_common.reference.regions import KYRGYZSTAN_TZ, REGIONS, REGIONS_BY_CODE

MIN_CELL = 5

Position = tuple[int, int]


@dataclass(frozen=True)
class Suppression:
    """The table with its margins as one grid (last row and column: totals) and what is hidden."""

    grid: tuple[tuple[int, ...], ...]
    hidden: frozenset[Position]
    primary: frozenset[Position]

    def published(self, i: int, j: int) -> int | None:
        return None if (i, j) in self.hidden else self.grid[i][j]


def with_margins(counts: Sequence[Sequence[int]], n_columns: int) -> list[list[int]]:
    """The counts with a totals column appended to each row and a totals row below."""
    rows = [[*row, sum(row)] for row in counts]
    totals = [sum(row[j] for row in rows) for j in range(n_columns + 1)]
    return [*rows, totals]


def suppress(
    counts: Sequence[Sequence[int]], *, n_columns: int, min_cell: int = MIN_CELL
) -> Suppression:
    """Hide every figure (margins included) below `min_cell` and enough others to protect them."""
    if any(len(row) != n_columns for row in counts):
        raise ValueError("every row needs one count per column")
    if any(n < 0 for row in counts for n in row):
        raise ValueError("counts cannot be negative")
    grid = with_margins(counts, n_columns)
    height, width = len(grid), n_columns + 1
    positions = [(i, j) for i in range(height) for j in range(width)]
    primary = {(i, j) for i, j in positions if grid[i][j] < min_cell}
    hidden = set(primary)
    if primary and (height < 2 or width < 2):
        # No rectangle fits in a single line: hide all of it (only an empty table gets here).
        hidden = set(positions)
    else:
        for cell in sorted(primary, key=lambda p: (grid[p[0]][p[1]], p)):
            if not _on_cycle(cell, hidden):
                hidden |= _cheapest_rectangle(cell, grid, hidden)
    return Suppression(
        grid=tuple(tuple(row) for row in grid),
        hidden=frozenset(hidden),
        primary=frozenset(primary),
    )


def _on_cycle(cell: Position, hidden: set[Position]) -> bool:
    """Whether the hidden cell's row and column stay linked by other hidden cells.

    Rows and columns are the nodes of a graph whose edges are the hidden cells; a hidden
    cell can be worked out from the totals exactly when its edge is a bridge.
    """
    row, column = cell
    by_row: dict[int, list[int]] = {}
    by_column: dict[int, list[int]] = {}
    for i, j in hidden:
        if (i, j) != cell:
            by_row.setdefault(i, []).append(j)
            by_column.setdefault(j, []).append(i)
    seen_rows, seen_columns = {row}, set()
    queue: deque[tuple[str, int]] = deque([("row", row)])
    while queue:
        kind, index = queue.popleft()
        if kind == "row":
            for j in by_row.get(index, []):
                if j == column:
                    return True
                if j not in seen_columns:
                    seen_columns.add(j)
                    queue.append(("column", j))
        else:
            for i in by_column.get(index, []):
                if i not in seen_rows:
                    seen_rows.add(i)
                    queue.append(("row", i))
    return False


def _cheapest_rectangle(
    cell: Position, grid: Sequence[Sequence[int]], hidden: set[Position]
) -> set[Position]:
    """The rectangle through the cell that hides the least more: smallest sum, fewest cells."""
    row, column = cell
    best: tuple[tuple[int, int, int, int], set[Position]] | None = None
    for i in range(len(grid)):
        if i == row:
            continue
        for j in range(len(grid[0])):
            if j == column:
                continue
            corners = {(row, column), (row, j), (i, column), (i, j)}
            new = [p for p in corners if p not in hidden]
            rank = (sum(grid[p[0]][p[1]] for p in new), len(new), i, j)
            if best is None or rank < best[0]:
                best = (rank, corners)
    assert best is not None  # the grid has at least two rows and two columns here
    return best[1]


# What the services answer: the same shape for every protected table.


class Cell(BaseModel):
    count: int | None = Field(description="The count; null when suppressed.")
    suppressed: bool = False


class DisclosureRule(BaseModel):
    """The rule every table of the answer was protected by, stated for its readers."""

    min_cell: int = Field(MIN_CELL, description="Counts below this are suppressed.")
    complementary: bool = Field(
        True,
        description="Further cells are suppressed so that no suppressed count can be worked "
        "out from the published cells and totals.",
    )


class CountTableRead(BaseModel):
    """A two-way table of counts with its margins, small cells suppressed."""

    rows: list[str]
    columns: list[str]
    cells: list[list[Cell]]
    row_totals: list[Cell]
    column_totals: list[Cell]
    total: Cell


def protect(
    counts: Sequence[Sequence[int]],
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    min_cell: int = MIN_CELL,
) -> CountTableRead:
    """The table as it may be published: suppressed figures are null and say so."""
    if len(counts) != len(rows):
        raise ValueError("one row of counts per row label")
    done = suppress(counts, n_columns=len(columns), min_cell=min_cell)
    last_row, last_column = len(rows), len(columns)

    def cell(i: int, j: int) -> Cell:
        count = done.published(i, j)
        return Cell(count=count, suppressed=count is None)

    return CountTableRead(
        rows=list(rows),
        columns=list(columns),
        cells=[[cell(i, j) for j in range(last_column)] for i in range(last_row)],
        row_totals=[cell(i, last_column) for i in range(last_row)],
        column_totals=[cell(last_row, j) for j in range(last_column)],
        total=cell(last_row, last_column),
    )


# What an analyst asks for: a period of local days and, optionally, one region's districts.


class UnknownRegion(Unprocessable):
    code = "unknown_region"
    title = "No such region"


class InvalidPeriod(Unprocessable):
    code = "invalid_period"
    title = "The period ends before it starts"


PlaceLevel = Literal["region", "district"]


class Breakdown(BaseModel):
    """The period and places of an answer, echoed back so that a figure is never read alone."""

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to", description="Inclusive.")
    region: str | None = None
    rows: PlaceLevel = Field(description="What the rows of the tables are: regions or districts.")

    def since(self) -> datetime | None:
        """The first moment of the period (days are Kyrgyzstan's local days)."""
        if self.date_from is None:
            return None
        # In UTC: SQLite keeps timestamps as UTC text and compares them as text.
        return datetime.combine(self.date_from, time(), KYRGYZSTAN_TZ).astimezone(UTC)

    def until(self) -> datetime | None:
        """The first moment after the period."""
        if self.date_to is None:
            return None
        next_day = self.date_to + timedelta(days=1)
        return datetime.combine(next_day, time(), KYRGYZSTAN_TZ).astimezone(UTC)

    def places(self, seen: Iterable[str] = ()) -> list[str]:
        """The row labels: every region (or the region's districts), then any other code seen."""
        if self.region is None:
            known = [r.code for r in REGIONS]
        else:
            known = [d.code for d in REGIONS_BY_CODE[self.region].districts]
        return known + sorted(set(seen) - set(known))


def breakdown(*, date_from: date | None, date_to: date | None, region: str | None) -> Breakdown:
    """Check what the analyst asked for: a known region, a period that does not run backwards."""
    if region is not None and region not in REGIONS_BY_CODE:
        raise UnknownRegion(f"unknown region {region!r}; one of {', '.join(REGIONS_BY_CODE)}")
    if date_from is not None and date_to is not None and date_to < date_from:
        raise InvalidPeriod(f"the period ends ({date_to}) before it starts ({date_from})")
    return Breakdown(
        date_from=date_from,
        date_to=date_to,
        region=region,
        rows="region" if region is None else "district",
    )


# --- what every aggregate route takes (risk and referral serve the same shape) ----------

Analyst = Annotated[Principal, Depends(require_roles("analyst", "admin", "auditor"))]
DateFrom = Annotated[date | None, Query(alias="from", description="First day (inclusive).")]
DateTo = Annotated[date | None, Query(alias="to", description="Last day (inclusive).")]
Region = Annotated[
    str | None,
    Query(max_length=16, description="A region code: the rows become its districts."),
]
