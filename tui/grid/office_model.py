"""A village's ledger for one program as a GridModel, over one ledger session of the open
office (sync/services/ledgers.py): the grid's edits become document transactions.

The session resolved the program, the village, whether this office may write there and
its document once, when the grid opened; an edit is then one transaction, with no roster
or program read. Rows are read once and then kept in step locally after each write, so an
edit costs one transaction and not a re-read of 20,000 rows; `reload()` re-reads
everything (after a sync or an import). Conflict marks come from the history service
(`conflicted_cells`); unsynced marks from the sync service (`unsynced_cells`: edits made
here that no peer holds yet), and every cell this model writes is marked unsynced at once.
A home that never synced shows no unsynced marks: every cell would carry one, and the home
screen already says "not synced yet".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from vledger.domain.program import CellValue
from vledger.errors import VledgerError
from vledger.messages import PerLang, localize
from vledger.tui.grid.model import CellRefused, MemoryLedgerModel

if TYPE_CHECKING:
    from vledger.sync.services.ledgers import LedgerSession
    from vledger.sync.services.office import Office

T = TypeVar("T")


def refusal_reason(error: VledgerError) -> CellRefused:
    """A service's refusal as the grid's refusal, said in whichever language the grid is in."""
    problems = error.problems or [str(error)]
    return CellRefused(PerLang(zh="；".join(localize(p, "zh") for p in problems),
                               en="; ".join(localize(p, "en") for p in problems)))


class OfficeLedgerModel(MemoryLedgerModel):
    """GridModel over a ledger session (see tui/grid/model.GridModel)."""

    def __init__(self, office: Office, ledger: LedgerSession, *, lang: str = "zh",
                 today: date | None = None) -> None:
        super().__init__(ledger.program, lang=lang)
        self.office = office
        self.ledger = ledger
        self.today = today or date.today()
        self.village = ledger.village
        self.reload()

    def reload(self) -> None:
        """Re-read every row and the marks (after a sync, an import, a resolve)."""
        program, village = self.program.id, self.village
        rows = self.ledger.rows(include_deleted=True)
        self._cells = {r.id: dict(r.cells) for r in rows}
        self._created = {r.id: (r.created, r.n, r.order) for r in rows}
        self._deleted = {r.id for r in rows if r.deleted}
        self._order = [r.id for r in rows]  # the store already sorts for display
        self._conflicts = {
            (c[2], c[3]) for c in self.office.history.conflicted_cells(program, village)
        }
        self._mark_unsynced = self.office.sync.last_sync() is not None
        self._unsynced = set(
            self.office.sync.unsynced_cells(program, village) if self._mark_unsynced else ())
        self._version += 1

    def add_row(self) -> str:
        # A new row starts dated today: most rows record the day's work, the date column is
        # required, so a blank date would only be a problem to fix later.
        cells: dict[str, CellValue] = {self.program.date_column: self.today.isoformat()}
        [row_id] = _refused_as_cell(lambda: self.ledger.import_rows([cells]))
        if self._mark_unsynced:
            self._unsynced.update((row_id, c) for c in cells)
        self._remember_new_row(row_id, dict(cells))
        return row_id

    def _persist_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        # Stored values, not typed text: undo may put back an empty required cell.
        _refused_as_cell(lambda: self.ledger.write_cells(row_id, cells))

    def _persist_deleted(self, row_id: str, deleted: bool) -> None:
        change = self.ledger.delete_row if deleted else self.ledger.restore_row
        _refused_as_cell(lambda: change(row_id))


def _refused_as_cell(write: Callable[[], T]) -> T:
    try:
        return write()
    except VledgerError as error:  # the ledger refused: the grid shows why
        raise refusal_reason(error) from error
