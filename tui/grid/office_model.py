"""A village's ledger for one program as a GridModel, over one ledger session of the office
(sync/services/ledgers.py), used through the office's worker (tui/office_worker.py).

The rows are read on the worker (`read_ledger`) and swapped in here whole; after that the
model keeps them in step itself: an edit shows at once and its write is queued on the
worker (an edit is one document transaction and its fsync), so a key never waits for the
store. A write the store refuses is said (`refused`) and the rows are read again: what the
grid shows is then what is stored. Adding a row waits for the store, which names the row.

The rows are read again only when the ledger's document moved in a way this model did not
make itself: after each of its own writes the worker asks the session whether the document
is exactly what was read plus that write (`written_here_since`), and if so keeps the heads
it knows; a sync or a command in another process (or another screen's write) makes the
next `refresh` read the rows again. Writes still queued when such a read comes back are
laid over it, so a fast clerk's edits never flicker away.

Conflict marks come from the history service (`conflicted_cells`), unsynced marks from the
sync service (`unsynced_cells`: edits made here that no peer holds yet), read after the
rows (they can take seconds on a big ledger); every cell this model writes is marked
unsynced at once. A home that never synced shows no unsynced marks: every cell would carry
one, and the home screen already says "not synced yet".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from vledger.domain.program import CellValue
from vledger.errors import VledgerError
from vledger.messages import PerLang, localize
from vledger.tui.grid.model import CellRefused, MemoryLedgerModel

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from vledger.sync.services.ledgers import LedgerSession
    from vledger.sync.services.office import Office
    from vledger.tui.office_worker import OfficeWorker

Cell = tuple[str, str]


def refusal_reason(error: VledgerError) -> CellRefused:
    """A service's refusal as the grid's refusal, said in whichever language the grid is in."""
    problems = error.problems or [str(error)]
    return CellRefused(PerLang(zh="；".join(localize(p, "zh") for p in problems),
                               en="; ".join(localize(p, "en") for p in problems)))


@dataclass
class LedgerRead:
    """A ledger's rows as the worker read them, ready to be swapped into the model."""

    cells: dict[str, dict[str, CellValue]]
    created: dict[str, tuple[int, ...]]
    deleted: set[str]
    order: list[str]


@dataclass(frozen=True)
class LedgerMarks:
    conflicts: set[Cell]
    unsynced: set[Cell]
    mark_unsynced: bool


@dataclass
class _Known:
    """The heads the rows shown were read at, kept in step with the model's own writes
    (touched on the worker only)."""

    heads: list[bytes] | None = None


@dataclass
class OpenedLedger:
    """What opening a ledger on the worker gives the screen."""

    session: LedgerSession
    read: LedgerRead
    known: _Known = field(default_factory=_Known)


def open_ledger(office: Office, program_id: str, village: str) -> OpenedLedger:
    """On the worker: the session and its rows (a refusal when this office holds no such
    ledger or program)."""
    session = office.ledgers.session(program_id, village)
    known = _Known()
    return OpenedLedger(session, read_ledger(session, known), known)


def read_ledger(session: LedgerSession, known: _Known) -> LedgerRead:
    """On the worker: every row, and the heads they were read at (read first, so rows
    read after them hold at least those)."""
    known.heads = session.heads()
    rows = session.rows(include_deleted=True)
    return LedgerRead(
        cells={r.id: dict(r.cells) for r in rows},
        created={r.id: (r.created, r.n, r.order) for r in rows},
        deleted={r.id for r in rows if r.deleted},
        order=[r.id for r in rows],  # the store already sorts for display
    )


def read_marks(office: Office, session: LedgerSession) -> LedgerMarks:
    program, village = session.program.id, session.village
    conflicts = {(c[2], c[3]) for c in office.history.conflicted_cells(program, village)}
    mark = office.sync.last_sync() is not None
    unsynced = set(office.sync.unsynced_cells(program, village) if mark else ())
    return LedgerMarks(conflicts, unsynced, mark)


class OfficeLedgerModel(MemoryLedgerModel):
    """GridModel over a ledger session, through the office's worker (module docstring)."""

    def __init__(
        self, worker: OfficeWorker, owner: MessagePump, opened: OpenedLedger, *,
        lang: str = "zh", today: date | None = None,
        refused: Callable[[VledgerError], None] | None = None,
    ) -> None:
        super().__init__(opened.session.program, lang=lang)
        self.worker = worker
        self.owner = owner  # answers come back to it while it is on the app
        self.session = opened.session
        self._known = opened.known
        self.today = today or date.today()
        self.village = self.session.village
        self.refused = refused  # a write the store refused: said, then the rows read again
        self._pending: list[tuple[int, Callable[[], None]]] = []  # writes not answered yet
        self._written: list[tuple[int, Cell]] = []  # the cells of those writes
        self._writes = 0
        self.reads = 0  # rows read from the store (tests and the bench count them)
        self.apply(opened.read)

    # -- reading -------------------------------------------------------------------------

    def apply(self, read: LedgerRead) -> None:
        """Swap in rows read on the worker, with the writes still queued laid over them."""
        self._cells = read.cells
        self._created = read.created
        self._deleted = read.deleted
        self._order = read.order
        for _number, redo in self._pending:
            redo()
        self.reads += 1
        self._changed(None)

    def apply_marks(self, marks: LedgerMarks) -> None:
        self._conflicts = marks.conflicts
        self._mark_unsynced = marks.mark_unsynced
        mine = {cell for _number, cell in self._written}  # queued: no peer holds them
        self._unsynced = marks.unsynced | mine if marks.mark_unsynced else set()
        self._changed(None)

    def refresh(self, done: Callable[[], None], *, force: bool = False) -> None:
        """Read the rows again if the document moved other than by this model's writes
        (always with `force`); `done()` once they show. The marks are read apart
        (`refresh_marks`): they take seconds on a big ledger, the rows do not."""
        session, known = self.session, self._known

        def job(office: Office) -> LedgerRead | None:
            if not force and known.heads is not None and sorted(session.heads()) == sorted(
                    known.heads):
                return None
            return read_ledger(session, known)

        def read(found: LedgerRead | None) -> None:
            if found is not None:
                self.apply(found)
                done()

        self.worker.run(self.owner, job, read)

    def refresh_marks(self, done: Callable[[], None]) -> None:
        session = self.session

        def marked(found: LedgerMarks) -> None:
            self.apply_marks(found)
            done()

        self.worker.run(self.owner, lambda office: read_marks(office, session), marked)

    def warm(self) -> None:
        """Read the journal now, so the first edit is one transaction (see LedgerSession)."""
        session = self.session
        self.worker.run(self.owner, lambda office: session.warm())

    # -- writing -------------------------------------------------------------------------

    def _check_may_write(self) -> None:
        if self.session.refusal is not None:  # known when the session opened: at once
            raise refusal_reason(self.session.refusal)

    def _queue(self, write: Callable[[LedgerSession], object], redo: Callable[[], None],
               cells: list[Cell]) -> None:
        """Queue one write on the worker; `redo` puts its effect back on rows read again
        before it was answered."""
        self._writes += 1
        number = self._writes
        self._pending.append((number, redo))
        self._written = [*self._written, *((number, c) for c in cells)]
        session, known = self.session, self._known

        def job(office: Office) -> None:
            write(session)
            # Only this write moved the document since the rows were read: they are still
            # what is stored. Anything else (a sync absorbed meanwhile) makes the next
            # refresh read them again.
            if known.heads is not None and session.written_here_since(known.heads):
                known.heads = session.heads()

        def answered() -> None:
            self._pending = [(n, r) for n, r in self._pending if n != number]
            self._written = [(n, c) for n, c in self._written if n != number]

        def failed(error: VledgerError) -> None:
            answered()
            if self.refused is not None:
                self.refused(error)

        self.worker.run(self.owner, job, lambda _none: answered(), failed=failed, write=True)

    def _persist_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        # Stored values, not typed text: undo may put back an empty required cell.
        self._check_may_write()
        values = dict(cells)

        def redo() -> None:
            if row_id in self._cells:
                self._cells[row_id].update(values)
                if self.program.date_column in values:
                    self._order = None

        self._queue(lambda session: session.write_cells(row_id, values), redo,
                    [(row_id, c) for c in values])

    def _persist_deleted(self, row_id: str, deleted: bool) -> None:
        self._check_may_write()

        def redo() -> None:
            (self._deleted.add if deleted else self._deleted.discard)(row_id)

        if deleted:
            self._queue(lambda session: session.delete_row(row_id), redo, [])
        else:
            self._queue(lambda session: session.restore_row(row_id), redo, [])

    def add_row(self) -> str:
        raise CellRefused("a new row is named by the store: use add_row_async")

    async def add_row_async(self) -> str:
        """Add a row dated today and wait for the store to name it (the keys typed after
        it wait too, and then go to the new row)."""
        self._check_may_write()
        # A new row starts dated today: most rows record the day's work, the date column is
        # required, so a blank date would only be a problem to fix later.
        cells: dict[str, CellValue] = {self.program.date_column: self.today.isoformat()}
        session, known = self.session, self._known

        def job(office: Office) -> str:
            [row_id] = session.import_rows([cells])
            if known.heads is not None and session.written_here_since(known.heads):
                known.heads = session.heads()
            return row_id

        try:
            row_id = await self.worker.call(self.owner, job, write=True)
        except VledgerError as error:  # the ledger refused: the grid shows why
            raise refusal_reason(error) from error
        if self._mark_unsynced:
            self._unsynced.update((row_id, c) for c in cells)
        if row_id not in self._cells:  # (a read that came back first may hold it already)
            self._remember_new_row(row_id, dict(cells))
        return row_id
