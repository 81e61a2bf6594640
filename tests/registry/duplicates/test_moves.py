"""The lists of columns a merge moves name real columns of the registry's tables."""

from __future__ import annotations

from sqlmodel import SQLModel

import kamkor_registry.models  # noqa: F401  (every table, as migrations see them)
from kamkor_registry.duplicates.service import HOUSEHOLD_MOVES, PERSON_MOVES


def test_every_move_names_a_column_that_refers_to_the_record_moved() -> None:
    for moves, target in ((PERSON_MOVES, "persons"), (HOUSEHOLD_MOVES, "households")):
        for move in moves:
            column = SQLModel.metadata.tables[move.table].c[move.column]
            assert {fk.column.table.name for fk in column.foreign_keys} == {target}, move
