"""A village's ledger for one program as a GridModel, read from and written through the
office facade (sync/office.py): the grid's edits become document transactions.

Rows are read once and then kept in step locally after each write, so an edit costs one
transaction and not a re-read of 20,000 rows; `reload()` re-reads everything (after a sync
or an import). Conflict marks come from the facade's journal (`conflicted_cells`); unsynced
marks from `unsynced_cells` (edits made here that no peer holds yet), and every cell this
model writes is marked unsynced at once. A home that never synced shows no unsynced marks:
every cell would carry one, and the home screen already says "not synced yet".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from domain.program import CellValue, Program
from domain.values import format_cell, parse_cell
from tui.grid_model import NO_MARKS, CellRefused, GridColumn

CONFLICT = frozenset({"conflict"})
UNSYNCED = frozenset({"unsynced"})


def refusal_reason(error: BaseException) -> CellRefused:
    """A facade Refusal (or any failure) as the grid's refusal, in both languages."""
    problems = getattr(error, "problems", None) or [str(error)]
    text = "; ".join(str(p) for p in problems)
    return CellRefused(text, text)


class OfficeLedgerModel:
    """GridModel over `office` for `program` and `village` (see tui/grid_model.GridModel)."""

    def __init__(self, office: Any, program: Program, village: str, *, lang: str = "zh",
                 today: date | None = None) -> None:
        self.office = office
        self.today = today or date.today()
        self.program = program
        self.village = village
        self.lang = lang
        self._columns = tuple(GridColumn.from_program(c) for c in program.columns)
        self._by_id = {c.id: c for c in program.columns}
        self._version = 0
        self.reload()

    # ---- reading -----------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read every row and the conflict marks (after a sync, an import, a resolve)."""
        rows = self.office.ledger_rows(self.program.id, self.village, include_deleted=True)
        self._cells: dict[str, dict[str, CellValue]] = {r.id: dict(r.cells) for r in rows}
        self._created = {r.id: (r.created, r.n, r.order) for r in rows}
        self._deleted = {r.id for r in rows if r.deleted}
        self._order: list[str] | None = [r.id for r in rows]
        self._conflicts = {
            (c[2], c[3]) for c in self.office.conflicted_cells(self.program.id, self.village)
        }
        self._mark_unsynced = self.office.last_sync() is not None
        self._unsynced: set[tuple[str, str]] = set(
            self.office.unsynced_cells(self.program.id, self.village)
            if self._mark_unsynced else ())
        self._version += 1

    @property
    def columns(self) -> Sequence[GridColumn]:
        return self._columns

    @property
    def version(self) -> int:
        return self._version

    def row_count(self) -> int:
        return len(self._cells)

    def row_ids(self) -> Sequence[str]:
        if self._order is None:
            date_id = self.program.date_column

            def key(row_id: str) -> tuple[bool, str, tuple[int, int, int]]:
                day = self._cells[row_id].get(date_id)
                return (day is None, str(day or ""), self._created[row_id])

            self._order = sorted(self._cells, key=key)
        return self._order

    def display(self, row_id: str, column_id: str) -> str:
        return format_cell(self._by_id[column_id], self._cells[row_id].get(column_id), self.lang)

    def value(self, row_id: str, column_id: str) -> CellValue:
        return self._cells[row_id].get(column_id)

    def is_deleted(self, row_id: str) -> bool:
        return row_id in self._deleted

    def marks(self, row_id: str, column_id: str) -> frozenset[str]:
        cell = (row_id, column_id)
        if cell in self._conflicts:
            return CONFLICT
        return UNSYNCED if cell in self._unsynced else NO_MARKS

    # ---- writing -----------------------------------------------------------------------

    def commit(self, row_id: str, column_id: str, text: str) -> None:
        if row_id in self._deleted:
            raise CellRefused("this row is deleted: restore it first", "该行已删除，请先恢复")
        value = parse_cell(self._by_id[column_id], text)  # ValueProblem: the editor stays open
        self.write(row_id, column_id, value)

    def write(self, row_id: str, column_id: str, value: CellValue) -> None:
        if column_id not in self._by_id:
            raise KeyError(column_id)
        self._call(self._write_cells, row_id, {column_id: value})
        self._cells[row_id][column_id] = value
        if self._mark_unsynced:
            self._unsynced.add((row_id, column_id))
        if column_id == self.program.date_column:
            self._order = None
        self._version += 1

    def _write_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        # Stored values, not typed text: undo may put back an empty required cell.
        self.office.write_cells(self.program.id, self.village, row_id, cells)

    def add_row(self) -> str:
        # A new row starts dated today: most rows record the day's work, the date column is
        # required, so a blank date would only be a problem to fix later.
        cells: dict[str, CellValue] = {self.program.date_column: self.today.isoformat()}
        ids = self._call(self.office.import_rows, self.program.id, self.village, [cells])
        row_id = ids[0]
        self._cells[row_id] = dict(cells)
        if self._mark_unsynced:
            self._unsynced.update((row_id, c) for c in cells)
        newest = max(self._created.values(), default=(0, 0, 0))
        self._created[row_id] = (newest[0] + 1, 0, len(self._created))
        self._order = None
        self._version += 1
        return row_id

    def delete_row(self, row_id: str) -> None:
        self._require(row_id)
        self._call(self.office.delete_row, self.program.id, self.village, row_id)
        self._deleted.add(row_id)
        self._version += 1

    def restore_row(self, row_id: str) -> None:
        self._require(row_id)
        self._call(self.office.restore_row, self.program.id, self.village, row_id)
        self._deleted.discard(row_id)
        self._version += 1

    def _require(self, row_id: str) -> None:
        if row_id not in self._cells:
            raise KeyError(row_id)

    @staticmethod
    def _call(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (KeyError, CellRefused):
            raise
        except Exception as error:  # a Refusal or a document refusal: the grid shows it
            raise refusal_reason(error) from error
