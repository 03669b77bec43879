"""The view over a `GridModel`: which rows the grid shows, in which order (the deleted toggle,
a filter, a typed sort) and search. View state never touches the model and is not undone.
Without Textual, so tested headless.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from vledger.domain.program import CellValue
from vledger.tui.grid.model import GridColumn, GridModel


def sort_key(column: GridColumn, value: CellValue) -> tuple[int, object]:
    """Typed order: numbers as numbers, choices in the program's order, empties last."""
    if value is None or value == "":
        return (2, 0)
    if column.type == "decimal":
        try:
            return (0, Decimal(str(value)))
        except InvalidOperation:
            return (1, str(value))
    if column.type == "choice" and value in column.choices:
        return (0, column.choices.index(str(value)))
    if isinstance(value, bool | int):
        return (0, int(value))
    return (0, str(value))


class RowView:
    """Sorting, filtering and the deleted toggle are view state: they never touch the model
    and are not undone; the rows shown are recomputed only when the model or state changes."""

    def __init__(self, model: GridModel, *, show_deleted: bool = False) -> None:
        self.model = model
        self.show_deleted = show_deleted
        self.sort_column: str | None = None
        self.sort_descending = False
        self.filter_column: str | None = None
        self.filter_text = ""
        self._key: tuple[object, ...] | None = None
        self._rows: list[str] = []
        self._index: dict[str, int] = {}

    def column(self, column_id: str) -> GridColumn:
        return next(c for c in self.model.columns if c.id == column_id)

    def sort(self, column_id: str | None, descending: bool = False) -> None:
        self.sort_column, self.sort_descending = column_id, descending

    def filter(self, column_id: str | None, text: str = "") -> None:
        self.filter_column, self.filter_text = column_id, text

    def rows(self) -> Sequence[str]:
        key = (
            self.model.version, self.show_deleted, self.sort_column, self.sort_descending,
            self.filter_column, self.filter_text,
        )
        if key != self._key:
            self._rows = self._compute()
            self._index = {row_id: i for i, row_id in enumerate(self._rows)}
            self._key = key
        return self._rows

    def index_of(self, row_id: str | None) -> int | None:
        self.rows()
        return None if row_id is None else self._index.get(row_id)

    def _compute(self) -> list[str]:
        model = self.model
        rows = [r for r in model.row_ids() if self.show_deleted or not model.is_deleted(r)]
        if self.filter_column is not None:
            col, text = self.filter_column, self.filter_text
            rows = [r for r in rows if model.display(r, col) == text]
        if self.sort_column is not None:
            column, col = self.column(self.sort_column), self.sort_column
            keyed = [(sort_key(column, model.value(r, col)), r) for r in rows]
            filled = [pair for pair in keyed if pair[0][0] < 2]
            filled.sort(key=lambda pair: pair[0], reverse=self.sort_descending)
            empty = [r for key, r in keyed if key[0] == 2]
            rows = [r for _, r in filled] + empty
        return rows

    def find(
        self, pattern: str, row: int, col: int, *, forward: bool = True
    ) -> tuple[int, int] | None:
        """The next cell (row-major, wrapping, after the given one) whose text contains
        `pattern`, ignoring case."""
        rows, columns = self.rows(), self.model.columns
        if not pattern or not rows:
            return None
        needle, width = pattern.casefold(), len(columns)
        total = len(rows) * width
        start = row * width + col
        step = 1 if forward else -1
        for n in range(1, total + 1):
            r, c = divmod((start + step * n) % total, width)
            if needle in self.model.display(rows[r], columns[c].id).casefold():
                return r, c
        return None
