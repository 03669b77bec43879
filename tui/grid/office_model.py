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

from datetime import date
from typing import Any

from vledger.domain.program import CellValue, Program
from vledger.tui.grid.model import CellRefused, MemoryLedgerModel


def refusal_reason(error: BaseException) -> CellRefused:
    """A facade Refusal (or any failure) as the grid's refusal, in both languages."""
    problems = getattr(error, "problems", None) or [str(error)]
    text = "; ".join(str(p) for p in problems)
    return CellRefused(text)


class OfficeLedgerModel(MemoryLedgerModel):
    """GridModel over `office` for `program` and `village` (see tui/grid_model.GridModel)."""

    def __init__(self, office: Any, program: Program, village: str, *, lang: str = "zh",
                 today: date | None = None) -> None:
        super().__init__(program, lang=lang)
        self.office = office
        self.today = today or date.today()
        self.village = village
        self.reload()

    def reload(self) -> None:
        """Re-read every row and the marks (after a sync, an import, a resolve)."""
        rows = self.office.ledger_rows(self.program.id, self.village, include_deleted=True)
        self._cells = {r.id: dict(r.cells) for r in rows}
        self._created = {r.id: (r.created, r.n, r.order) for r in rows}
        self._deleted = {r.id for r in rows if r.deleted}
        self._order = [r.id for r in rows]  # the store already sorts for display
        self._conflicts = {
            (c[2], c[3]) for c in self.office.conflicted_cells(self.program.id, self.village)
        }
        self._mark_unsynced = self.office.last_sync() is not None
        self._unsynced = set(
            self.office.unsynced_cells(self.program.id, self.village)
            if self._mark_unsynced else ())
        self._version += 1

    def add_row(self) -> str:
        # A new row starts dated today: most rows record the day's work, the date column is
        # required, so a blank date would only be a problem to fix later.
        cells: dict[str, CellValue] = {self.program.date_column: self.today.isoformat()}
        [row_id] = _call(self.office.import_rows, self.program.id, self.village, [cells])
        if self._mark_unsynced:
            self._unsynced.update((row_id, c) for c in cells)
        self._remember_new_row(row_id, dict(cells))
        return row_id

    def _persist_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        # Stored values, not typed text: undo may put back an empty required cell.
        _call(self.office.write_cells, self.program.id, self.village, row_id, cells)

    def _persist_deleted(self, row_id: str, deleted: bool) -> None:
        change = self.office.delete_row if deleted else self.office.restore_row
        _call(change, self.program.id, self.village, row_id)


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except (KeyError, CellRefused):
        raise
    except Exception as error:  # a Refusal or a document refusal: the grid shows it
        raise refusal_reason(error) from error
