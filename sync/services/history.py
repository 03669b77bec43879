"""History, blame and conflicts over this office's documents.

`HistoryService` gathers the journals of the township documents and the village
documents this office holds (of every year, or of one program's year) into one
`domain.history.History`, reads the value a cell shows now, and settles conflicts through
the same write path and permission rules as any edit. A cell's journal and value live in
the documents of its program's year (the roster's cells in the roster's document).

Open conflicts are found per document (a conflict is on one cell, and a cell's journal
and value live in one document). Counting them and marking their cells follows changes
(services/counts.py: the cached leaves brought up to date with the entries new since).
The conflicts themselves, for the conflicts view and resolve, are cached in the store's
measures table under the reserved program key CONFLICTS_KEY, keyed by the document's
heads: a document that has not changed since it was last looked at is not opened again,
and any change to it (local or received) changes its heads and so misses the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vledger.domain.history import DELETED, Cell, Conflict, ConflictValue, History, JournalEntry
from vledger.domain.program import CellValue
from vledger.sync.documents.replica import parse_doc_id
from vledger.sync.documents.township import SheetValue
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.counts import document_counts
from vledger.sync.services.permissions import Refusal, ledger_village, parse_rows, refuse_cells
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService

# Journal rows of township values start with these (documents/township.py).
_SHEET_ROWS = {"target": "targets", "entered": "entered", "manual": "manual",
               "adjustment": "adjustments"}

CONFLICTS_KEY = "__conflicts__"  # a reserved "program" in the store's measures cache
CONFLICTS_VERSION = "conflicts-2"  # bump when the cached form or the finding changes


class HistoryService:
    """Every recorded edit of the documents this office holds, and their conflicts."""

    def __init__(
        self, context: OfficeContext, programs: ProgramService, roster: RosterService,
        late: Callable[[int | None], set[str]] | None = None,
    ) -> None:
        self._context = context
        self._programs = programs
        self._roster = roster
        # The ids of late edits: recorded after the latest publication of a period they
        # touch (publications.py); `edits` marks them.
        self._late = late or (lambda year: set())

    def journal(self, village: str | None = None, program: str | None = None) -> History:
        """The History of the township documents and every held village document (or
        one village's), of every year, or of `program`'s year only."""
        year = self._year(program) if program else None
        if program and year is None:
            return History([])
        return History(self._entries(self._context.documents(village, year)))

    def _year(self, program: str) -> int | None:
        return self._programs.year_of(program) if program else None

    def _entries(self, documents: list[str]) -> list[JournalEntry]:
        store = self._context.store
        entries: list[JournalEntry] = []
        for document in documents:
            was_open = store.is_open(document)
            entries.extend(store.replica(document).journal_entries())
            self._context.close_unless(document, was_open)
        return entries

    def edits(
        self, program: str | None = None, village: str | None = None, office: str | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Every recorded edit, newest first, as `history --json` lists them (cli.md), each
        with `late`: whether a published sheet did not include it and it touches that
        sheet's period."""
        history = self.journal(village, program)
        chosen = history.listing(program=program, village=village, office=office, **filters)
        # one program's history: only its year's publications are read
        late = self._late(self._year(program) if program else None) if chosen else set()
        return [history.edit_record(e) | {"late": e.id in late} for e in chosen]

    def current_value(self, cell: Cell, year: int | None = None) -> Any:
        """What the document shows now in a journal cell (ledger cell or township value);
        `year`: of the document the cell is in (default: its program's year)."""
        context = self._context
        program, village, row, column = cell
        if year is None:
            year = self._year(program)
        if year is None:
            return None
        sheet = _sheet_of_row(row)
        if sheet is not None:
            key = row.split(":", 1)[1]
            value = SheetValue(sheet, program, village, key, None,  # type: ignore[arg-type]
                               None if sheet == "targets" else column)
            if not context.store.has_document(context.township_doc_id(year)):
                return None
            return context.township_doc(year).value(value)
        if not program or not village or not context.holds(village, year):
            return None
        found = context.store.village(context.village_doc_id(village, year)).row(program, row)
        if found is None:
            return None
        return found.deleted if column == DELETED else found.cells.get(column)

    def blame(self, program: str, village: str, row: str, column: str) -> list[JournalEntry]:
        history, shown = self._cell_history(program, village, row, column)
        return history.blame(program, village, row, column, shown)

    def blame_branches(
        self, program: str, village: str, row: str, column: str,
    ) -> list[list[JournalEntry]]:
        """The chain behind each competing value of a conflicted cell (the shown value's
        first); for a cell in no conflict, its one blame chain."""
        history, shown = self._cell_history(program, village, row, column)
        return history.chains((program, village, row, column), shown)

    def _cell_history(self, program: str, village: str, row: str,
                      column: str) -> tuple[History, Any]:
        """The journal entries a cell's chains are made of, and the value it shows now."""
        # A township value's journal is in the township document of its program's year, a
        # ledger cell's in the village's: only that one is read.
        context = self._context
        store = context.store
        year = self._year(program)
        entries: list[JournalEntry] = []
        if year is None:
            pass
        elif _sheet_of_row(row) is not None:
            if store.has_document(context.township_doc_id(year)):
                entries = self._entries([context.township_doc_id(year)])
        elif context.holds(village, year):
            document = context.village_doc_id(village, year)
            was_open = store.is_open(document)
            # A cell's chain is its own entries: the row's implied adds are enough.
            entries = store.replica(document).journal_entries([f"{program}/{row}"])
            context.close_unless(document, was_open)
        return History(entries), self.current_value((program, village, row, column), year)

    def conflicts(self) -> list[Conflict]:
        """Every open conflict of every held document (every year), ordered by cell."""
        found = [c for d in self._context.documents() for c in self._document_conflicts(d)]
        return sorted(found, key=lambda c: c.cell)

    def open_conflict_count(self) -> int:
        return sum(len(self._conflicted(d)) for d in self._context.documents())

    def conflicted_cells(self, program: str, village: str) -> set[Cell]:
        # Every year's documents of the village: each is counted from what changed since
        # it was last counted, so this opens none that did not change (nor the program's
        # to find its year).
        return {c for d in self._context.documents(village) for c in self._conflicted(d)
                if c[0] == program and c[1] == village}

    def _conflicted(self, document: str) -> frozenset[Cell]:
        """The cells of the document's open conflicts: from the conflicts found for its
        heads when they were listed, else counted (services/counts.py)."""
        cached = self._cached_conflicts(document, self._context.store.heads(document))
        if cached is not None:
            return frozenset(c.cell for c in cached)
        return document_counts(self._context, document).conflicted

    def _cached_conflicts(self, document: str, heads: list[bytes]) -> list[Conflict] | None:
        cached = self._context.store.db.caches.get(document, CONFLICTS_KEY, heads,
                                                   CONFLICTS_VERSION)
        if isinstance(cached, list):
            try:
                return [_conflict_from_plain(p) for p in cached]
            except (KeyError, TypeError, ValueError):
                pass  # a damaged cache row is only a miss
        return None

    def _document_conflicts(self, document: str) -> list[Conflict]:
        """The open conflicts of one document: from the cache when its heads are unchanged."""
        store = self._context.store
        heads = store.heads(document)
        cached = self._cached_conflicts(document, heads)
        if cached is not None:
            return cached
        was_open = store.is_open(document)
        year = parse_doc_id(document)[2]
        try:  # current_value reads the same document: open it once for both
            # Implied adds never take part in a conflict (documents/journal.py).
            entries = store.replica(document).stored_entries()
            found = History(entries).conflicts(lambda cell: self.current_value(cell, year))
        finally:
            self._context.close_unless(document, was_open)
        if store.heads(document) == heads:  # not written meanwhile: the result is for `heads`
            try:
                plain = [_conflict_plain(c) for c in found]
                store.db.caches.put(document, CONFLICTS_KEY, heads, plain, CONFLICTS_VERSION)
            except (TypeError, ValueError):
                pass  # a value msgpack cannot hold: found again next time
        return found

    def resolve(self, conflict_id: str, value: str | None = None, keep: str | None = None) -> None:
        """Settle a conflict with a typed value (`--value`) or one competing edit's (`--keep`)."""
        context = self._context
        if (value is None) == (keep is None):
            raise Refusal("settle a conflict with either a value or the edit to keep")
        conflict = next((c for c in self.conflicts() if c.id == conflict_id), None)
        if conflict is None:
            raise Refusal(f"no open conflict {conflict_id} (vledger conflicts lists them)")
        settles = sorted(set(conflict.roots) | {v.edit for v in conflict.values})
        sheet = _sheet_of_row(conflict.row)
        year = self._year(conflict.program)
        if year is None:
            raise Refusal(f"no program {conflict.program} held here")
        chosen: Any = None
        if keep is not None:
            try:
                chosen = conflict.value_of(keep)
            except ValueError as error:
                raise Refusal(str(error)) from None
        if sheet is not None:
            context.require_township("change the ranking sheet's inputs")
            if value is not None:
                chosen = value
            key = conflict.row.split(":", 1)[1]
            period = None if sheet == "targets" else conflict.column
            settled = SheetValue(sheet, conflict.program, conflict.village, key,  # type: ignore[arg-type]
                                 chosen, period)
            context.write(lambda: context.township_doc(year).resolve(context.who, settled,
                                                                      settles))
            return
        me = context.me
        roster = [v.id for v in self._roster.villages()]
        village = ledger_village(me.kind, me.office, roster, conflict.village, writing=True)
        if value is not None:
            chosen = self._typed_value(conflict, value)
        doc = context.village_doc(village, year)
        context.write(lambda: doc.resolve(context.who, conflict.cell, chosen, settles))

    def _typed_value(self, conflict: Conflict, value: str) -> CellValue:
        if conflict.column == DELETED:
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "是", "1"):
                return True
            if lowered in ("false", "no", "否", "0"):
                return False
            raise Refusal(f"deleted: {value!r} is not yes or no")
        program = self._programs.get(conflict.program)
        parsed, problems = parse_rows(program, [{conflict.column: value}], self._context.lang,
                                      whole_rows=False)
        refuse_cells(problems)
        return parsed[0].get(conflict.column)


def _sheet_of_row(row: str) -> str | None:
    prefix = row.split(":", 1)[0] if ":" in row else None
    return _SHEET_ROWS.get(prefix) if prefix else None


def _conflict_plain(conflict: Conflict) -> dict[str, Any]:
    return {**conflict.to_plain(), "roots": list(conflict.roots),
            "entries": list(conflict.entries)}


def _conflict_from_plain(plain: dict[str, Any]) -> Conflict:
    return Conflict(
        id=plain["id"], program=plain["program"], village=plain["village"], row=plain["row"],
        column=plain["column"], shown=plain["shown"],
        values=tuple(ConflictValue(v["edit"], v["office"], v["at"], v["value"],
                                   v.get("user", "")) for v in plain["values"]),
        roots=tuple(plain["roots"]), entries=tuple(plain["entries"]),
    )
