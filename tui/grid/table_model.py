"""Rows of display texts for a read-only grid (tui/grid/read_only.py): the ranking sheet,
history, blame, conflicts and sync screens fill one with their lists. Without Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from vledger.messages import Message
from vledger.tui.grid.model import CellRefused, GridColumn


def text_column(id: str, title: str, width: int) -> GridColumn:
    return GridColumn(id, title, "text", width, editable=False)


class TableModel:
    """Rows of display texts for the Grid: nothing can be written, every commit refuses."""

    def __init__(self, columns: Sequence[GridColumn]) -> None:
        self._columns = tuple(columns)
        self._rows: dict[str, Mapping[str, str]] = {}
        self._order: list[str] = []
        self._version = 0

    def set_columns(self, columns: Sequence[GridColumn]) -> None:
        """New titles (a language switch); the column ids stay those the rows use."""
        self._columns = tuple(columns)
        self._version += 1

    def set_rows(self, rows: Sequence[tuple[str, Mapping[str, str]]]) -> None:
        self._order = [row_id for row_id, _ in rows]
        self._rows = dict(rows)
        self._version += 1

    @property
    def columns(self) -> Sequence[GridColumn]:
        return self._columns

    @property
    def version(self) -> int:
        return self._version

    def row_count(self) -> int:
        return len(self._order)

    def row_ids(self) -> Sequence[str]:
        return self._order

    def display(self, row_id: str, column_id: str) -> str:
        return self._rows[row_id].get(column_id, "")

    def value(self, row_id: str, column_id: str) -> str:
        return self.display(row_id, column_id)

    def is_deleted(self, row_id: str) -> bool:
        return False

    def marks(self, row_id: str, column_id: str) -> frozenset[str]:
        return frozenset()

    def commit(self, row_id: str, column_id: str, text: str) -> None:
        raise CellRefused(Message("ui.grid.computed"))

    def write(self, row_id: str, column_id: str, value: object) -> None:
        self.commit(row_id, column_id, "")

    def add_row(self) -> str:
        raise CellRefused(Message("ui.grid.computed"))

    def delete_row(self, row_id: str) -> None:
        self.add_row()

    def restore_row(self, row_id: str) -> None:
        self.add_row()
