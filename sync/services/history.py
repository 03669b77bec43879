"""History, blame and conflicts over this office's documents (the facade's part).

`HistoryMixin` is mixed into `sync.office.Office`: it gathers the journals of the
township document and the village documents this office holds into one
`domain.history.History`, reads the value a cell shows now, and settles conflicts
through the same write path and permission rules as any edit.

Open conflicts are found per document (a conflict is on one cell, and a cell's journal
and value live in one document) and cached in the store's measures table under the
reserved program key CONFLICTS_KEY, keyed by the document's heads: a document that has
not changed since it was last looked at is not opened to count its conflicts, and any
change to it (local or received) changes its heads and so misses the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vledger.domain.history import DELETED, Cell, Conflict, ConflictValue, History, JournalEntry
from vledger.domain.program import CellValue
from vledger.sync.documents.township import SheetValue
from vledger.sync.services.permissions import Refusal, parse_rows, refuse_cells

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

    _Base = Office
else:
    _Base = object

# Journal rows of township values start with these (sync/township_doc.py).
_SHEET_ROWS = {"target": "targets", "entered": "entered", "manual": "manual",
               "adjustment": "adjustments"}

CONFLICTS_KEY = "__conflicts__"  # a reserved "program" in the store's measures cache
CONFLICTS_VERSION = "conflicts-1"  # bump when the cached form or the finding changes


class HistoryMixin(_Base):
    def _documents(self, village: str | None = None) -> list[str]:
        """Documents whose journals make up the history (all this office holds by default)."""
        if village is not None:
            return [d for d in (self.township_doc_id, self.village_doc_id(village))
                    if self.store.has_document(d)]
        prefix = f"{self.township_id}/"
        suffix = f"/{self.year}"
        return [d for d in self.store.document_ids() if d.startswith(prefix) and d.endswith(suffix)]

    def journal(self, village: str | None = None) -> History:
        """The History of the township document and every held village document (or one)."""
        return History(self._entries(self._documents(village)))

    def _entries(self, documents: list[str]) -> list[JournalEntry]:
        entries: list[JournalEntry] = []
        for document in documents:
            was_open = self.store.is_open(document)
            entries.extend(self.store.replica(document).journal_entries())
            if not was_open and document != self.township_doc_id:
                self.store.close_document(document)
        return entries

    def history(
        self, program: str | None = None, village: str | None = None, office: str | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Every recorded edit, newest first, as `history --json` lists them (cli.md)."""
        history = self.journal(village)
        chosen = history.listing(program=program, village=village, office=office, **filters)
        return [history.edit_record(e) for e in chosen]

    def current_value(self, cell: Cell) -> Any:
        """What the document shows now in a journal cell (ledger cell or township value)."""
        program, village, row, column = cell
        sheet = _sheet_of_row(row)
        if sheet is not None:
            key = row.split(":", 1)[1]
            value = SheetValue(sheet, program, village, key, None,
                               None if sheet == "targets" else column)
            return self.township_doc().value(value)
        document = self.village_doc_id(village)
        if not program or not self.store.has_document(document):
            return None
        found = self.store.village(document).row(program, row)
        if found is None:
            return None
        return found.deleted if column == DELETED else found.cells.get(column)

    def blame(self, program: str, village: str, row: str, column: str) -> list[JournalEntry]:
        # A township value's journal is in the township document, a ledger cell's in the
        # village's: only that one is read.
        if _sheet_of_row(row) is not None:
            documents = [self.township_doc_id]
        else:
            documents = [d for d in [self.village_doc_id(village)] if self.store.has_document(d)]
        history = History(self._entries(documents))
        return history.blame(program, village, row, column,
                             self.current_value((program, village, row, column)))

    def conflicts(self) -> list[Conflict]:
        """Every open conflict of every held document, ordered by cell."""
        found = [c for d in self._documents() for c in self.document_conflicts(d)]
        return sorted(found, key=lambda c: c.cell)

    def open_conflict_count(self) -> int:
        return sum(len(self.document_conflicts(d)) for d in self._documents())

    def conflicted_cells(self, program: str, village: str) -> set[Cell]:
        return {c.cell for d in self._documents(village) for c in self.document_conflicts(d)
                if c.program == program and c.village == village}

    def document_conflicts(self, document: str) -> list[Conflict]:
        """The open conflicts of one document: from the cache when its heads are unchanged."""
        store = self.store
        heads = store.heads(document)
        cached = store.cached_measures(document, CONFLICTS_KEY, heads, CONFLICTS_VERSION)
        if isinstance(cached, list):
            try:
                return [_conflict_from_plain(p) for p in cached]
            except (KeyError, TypeError, ValueError):
                pass  # a damaged cache row is only a miss
        was_open = store.is_open(document)
        try:  # current_value reads the same document: open it once for both
            entries = store.replica(document).journal_entries()
            found = History(entries).conflicts(self.current_value)
        finally:
            if not was_open and document != self.township_doc_id:
                store.close_document(document)
        if store.heads(document) == heads:  # not written meanwhile: the result is for `heads`
            try:
                plain = [_conflict_plain(c) for c in found]
                store.cache_measures(document, CONFLICTS_KEY, heads, plain, CONFLICTS_VERSION)
            except (TypeError, ValueError):
                pass  # a value msgpack cannot hold: found again next time
        return found

    def resolve(self, conflict_id: str, value: str | None = None, keep: str | None = None) -> None:
        """Settle a conflict with a typed value (`--value`) or one competing edit's (`--keep`)."""
        if (value is None) == (keep is None):
            raise Refusal("settle a conflict with either a value or the edit to keep")
        conflict = next((c for c in self.conflicts() if c.id == conflict_id), None)
        if conflict is None:
            raise Refusal(f"no open conflict {conflict_id} (vledger conflicts lists them)")
        settles = sorted(set(conflict.roots) | {v.edit for v in conflict.values})
        sheet = _sheet_of_row(conflict.row)
        if keep is not None:
            try:
                chosen: Any = conflict.value_of(keep)
            except ValueError as error:
                raise Refusal(str(error)) from None
        if sheet is not None:
            self._require_township("change the ranking sheet's inputs")
            if value is not None:
                chosen = value
            key = conflict.row.split(":", 1)[1]
            period = None if sheet == "targets" else conflict.column
            settled = SheetValue(sheet, conflict.program, conflict.village, key, chosen, period)
            self._write(lambda: self.township_doc().resolve(self.who, settled, settles))
            return
        village = self.ledger_village(conflict.village, writing=True)
        if value is not None:
            chosen = self._typed_value(conflict, value)
        doc = self.village_doc(village)
        self._write(lambda: doc.resolve(self.who, conflict.cell, chosen, settles))

    def _typed_value(self, conflict: Conflict, value: str) -> CellValue:
        if conflict.column == DELETED:
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "是", "1"):
                return True
            if lowered in ("false", "no", "否", "0"):
                return False
            raise Refusal(f"deleted: {value!r} is not yes or no")
        program = self.program(conflict.program)
        parsed, problems = parse_rows(program, [{conflict.column: value}], self.lang,
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
        values=tuple(ConflictValue(v["edit"], v["office"], v["at"], v["value"])
                     for v in plain["values"]),
        roots=tuple(plain["roots"]), entries=tuple(plain["entries"]),
    )
