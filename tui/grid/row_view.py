"""The view over a `GridModel`: which rows the grid shows, in which order (the deleted toggle,
a filter, a typed sort) and search. View state never touches the model and is not undone.
Without Textual, so tested headless.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

from vledger.domain.program import CellValue
from vledger.tui.grid.model import GridColumn, GridModel, changed_rows


def sort_key(column: GridColumn, value: CellValue) -> tuple[int, object]:
    """Typed order: numbers as numbers, choices in the program's order, empties last.

    A value that does not fit its column (a choice the program no longer offers, text
    another tool wrote into a number column) sorts after those that do, as text: keys of
    one rank always compare, so sorting never fails on what a sync brought."""
    if value is None or value == "":
        return (2, 0)
    if column.type == "decimal":
        try:
            return (0, Decimal(str(value)))
        except InvalidOperation:
            return (1, str(value))
    if column.type == "choice":
        if value in column.choices:
            return (0, column.choices.index(str(value)))
        return (1, str(value))
    if column.type in ("int", "bool"):
        if isinstance(value, bool | int):
            return (0, int(value))
        return (1, str(value))
    return (0, str(value))


PLACED_AT_MOST = 32  # more rows changed at once than this: order every row again
WALK_AT_MOST = 4096  # rows looked at to place one among its equals before giving up


class RowView:
    """Sorting, filtering and the deleted toggle are view state: they never touch the model
    and are not undone. The rows shown are ordered again only when that state changed or
    rows came or went; when the model can say which rows an edit touched (`ChangedRows`),
    only those are taken out and put back where the order puts them, so a value typed
    into a 20,000-row ledger costs what one row does."""

    def __init__(self, model: GridModel, *, show_deleted: bool = False) -> None:
        self.model = model
        self.show_deleted = show_deleted
        self.sort_column: str | None = None
        self.sort_descending = False
        self.filter_column: str | None = None
        self.filter_text = ""
        self._state: tuple[object, ...] | None = None
        self._version = 0
        self._rows: list[str] = []
        self.ordered = 0  # times every row was ordered (tests and the bench count them)
        self.generation = 0  # grows whenever which rows show, or their order, changed

    def column(self, column_id: str) -> GridColumn:
        return next(c for c in self.model.columns if c.id == column_id)

    def sort(self, column_id: str | None, descending: bool = False) -> None:
        self.sort_column, self.sort_descending = column_id, descending

    def filter(self, column_id: str | None, text: str = "") -> None:
        self.filter_column, self.filter_text = column_id, text

    def rows(self) -> Sequence[str]:
        state = (self.show_deleted, self.sort_column, self.sort_descending,
                 self.filter_column, self.filter_text)
        version = self.model.version
        if state == self._state and version == self._version:
            return self._rows
        changed = changed_rows(self.model, self._version) if state == self._state else None
        if changed is None or len(changed) > PLACED_AT_MOST or not self._place(changed):
            self._rows = self._compute()
            self.ordered += 1
            self.generation += 1
        self._state, self._version = state, version
        return self._rows

    def index_of(self, row_id: str | None) -> int | None:
        rows = self.rows()
        if row_id is None:
            return None
        try:
            return rows.index(row_id)  # (a scan in C: no index to keep up on every move)
        except ValueError:
            return None

    def _shows(self, row_id: str) -> bool:
        model = self.model
        if not self.show_deleted and model.is_deleted(row_id):
            return False
        col = self.filter_column
        return col is None or model.display(row_id, col) == self.filter_text

    def _key(self, row_id: str) -> tuple[int, object] | None:
        col = self.sort_column
        if col is None:
            return None
        return sort_key(self.column(col), self.model.value(row_id, col))

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

    # ---- one row at a time --------------------------------------------------------------

    def _place(self, changed: frozenset[str]) -> bool:
        """Take the changed rows out and put back those that show, each where ordering
        every row would put it. False (the rows are then ordered whole) when one cannot be
        placed cheaply or its value does not compare with the others'."""
        rows, before = self._rows, list(self._rows) if changed else self._rows
        for row_id in changed:
            try:
                rows.remove(row_id)
            except ValueError:
                pass  # it did not show
        waiting = set(changed)
        try:
            for row_id in changed:
                waiting.discard(row_id)
                if not self._shows(row_id):
                    continue
                index = self._position(row_id, waiting)
                if index is None:
                    return False
                rows.insert(index, row_id)
        except (TypeError, ValueError):  # values that do not compare; a row not found
            return False
        if rows != before:
            self.generation += 1
        return True

    def _position(self, row_id: str, waiting: set[str]) -> int | None:
        """Where `row_id` goes in the rows shown (it is not among them, nor are the
        `waiting` rows): among the rows that order equal to it (all of them when nothing
        is sorted), after the last one that comes before it in the model's order, as a
        stable sort puts it."""
        rows, key = self._rows, self._key(row_id)
        low, high = (0, len(rows)) if key is None else self._equal_range(key)
        if low == high:
            return low
        base = self.model.row_ids()
        equal = set(rows[low:high]) if high - low < len(rows) else None
        at = base.index(row_id)
        for other in reversed(base[max(0, at - WALK_AT_MOST):at]):
            if other in waiting:
                continue
            if equal is None:
                if self._shows(other):
                    return rows.index(other, low, high) + 1
            elif other in equal:
                return rows.index(other, low, high) + 1
        return low if at <= WALK_AT_MOST else None

    def _equal_range(self, key: tuple[int, object]) -> tuple[int, int]:
        """The rows (first, past the last) whose sort key equals `key`: filled cells first,
        sorted, then the empty ones."""
        rows = self._rows

        def first(after: Callable[[tuple[int, object]], bool], low: int, high: int) -> int:
            while low < high:  # the first row from low on for which `after` holds
                middle = (low + high) // 2
                found = self._key(rows[middle])
                assert found is not None
                if after(found):
                    high = middle
                else:
                    low = middle + 1
            return low

        empties = first(lambda k: k[0] == 2, 0, len(rows))
        if key[0] == 2:
            return empties, len(rows)
        if self.sort_descending:
            return (first(lambda k: k <= key, 0, empties),
                    first(lambda k: k < key, 0, empties))
        return (first(lambda k: k >= key, 0, empties),
                first(lambda k: k > key, 0, empties))

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
