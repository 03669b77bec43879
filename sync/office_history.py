"""History, blame and conflicts over this office's documents (the facade's part).

`HistoryMixin` is mixed into `sync.office.Office`: it gathers the journals of the
township document and the village documents this office holds into one
`domain.history.History`, reads the value a cell shows now, and settles conflicts
through the same write path and permission rules as any edit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.history import DELETED, Cell, Conflict, History, JournalEntry
from domain.program import CellValue
from sync.permissions import Refusal, parse_rows, refuse_cells
from sync.township_doc import SheetValue

if TYPE_CHECKING:
    from sync.office import Office

    _Base = Office
else:
    _Base = object

# Journal rows of township values start with these (sync/township_doc.py).
_SHEET_ROWS = {"target": "targets", "entered": "entered", "manual": "manual",
               "adjustment": "adjustments"}


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
        entries: list[JournalEntry] = []
        for document in self._documents(village):
            was_open = self.store.is_open(document)
            entries.extend(self.store.replica(document).journal_entries())
            if not was_open and document != self.township_doc_id:
                self.store.close_document(document)
        return History(entries)

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
        history = self.journal(village)
        return history.blame(program, village, row, column,
                             self.current_value((program, village, row, column)))

    def conflicts(self) -> list[Conflict]:
        return self.journal().conflicts(self.current_value)

    def conflicted_cells(self, program: str, village: str) -> set[Cell]:
        return {c for c in self.journal(village).conflicted_cells()
                if c[0] == program and c[1] == village}

    def resolve(self, conflict_id: str, value: str | None = None, keep: str | None = None) -> None:
        """Settle a conflict with a typed value (`--value`) or one competing edit's (`--keep`)."""
        if (value is None) == (keep is None):
            raise Refusal("settle a conflict with either a value or the edit to keep")
        conflict = self.journal().conflict(conflict_id, self.current_value)
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
