"""A village's ledgers (台账): one `LedgerSession` per program and village.

A session resolves once what every edit of that ledger needs: the program (parsed),
the village and whether this office may write its ledger (a village writes only its
own, the township any village's: corrections after verification, 核查), and that this
office holds the village's document. The grid keeps one session while the clerk types,
so an edit is one document transaction, with no roster or program read before it.

Rows come in two forms: typed as text (`add_rows`, `set_cells`: parsed by the columns'
types, every bad cell refused at once) or already stored values (`import_rows`,
`write_cells`: a file import checked by domain/ledger_table.py, or undo putting back
what a cell held). Ledger files (.csv, .xlsx) are read and written whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vledger.domain.history import JournalEntry
from vledger.domain.ledger_table import Problem, read_table
from vledger.domain.program import CellValue, Program
from vledger.domain.values import ValueProblem, date_warning, parse_cell
from vledger.messages import Message
from vledger.sync.documents.ledger import Row, VillageDoc, rows_as_cells
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import (
    TOWNSHIP_KIND,
    Refusal,
    ledger_village,
    parse_rows,
    refuse_cells,
)
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService

__all__ = ["FileCheck", "LedgerService", "LedgerSession", "Row", "write_ledger_file"]


@dataclass(frozen=True)
class FileCheck:
    """A ledger file read and checked against the program, nothing written.

    `problems` lists everything wrong (`FILE:ROW:COLUMN: message`, each says itself in
    a language); the rows are added only when it is empty, all of them. `notes` say how
    the file was read (as GBK); `warnings` name rows that will be added but count in no
    period (a date outside the program's year).
    """

    file: str
    rows: list[dict[str, CellValue]] = field(default_factory=list)
    problems: list[object] = field(default_factory=list)
    notes: tuple[Message, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def count(self) -> int:
        """Rows added (or that would be): how many the file holds when it is ok."""
        return len(self.rows) if self.ok else 0


class LedgerService:
    """Opens ledger sessions; says which village a ledger command is about."""

    def __init__(
        self, context: OfficeContext, programs: ProgramService, roster: RosterService
    ) -> None:
        self._context = context
        self._programs = programs
        self._roster = roster

    def village(self, village: str | None, *, writing: bool = False) -> str:
        """The village a ledger act is about (None: this office's own); refused when this
        office may not read it, or with `writing`, may not write it."""
        me = self._context.me
        roster = [v.id for v in self._roster.villages()]
        return ledger_village(me.kind, me.office, roster, village, writing=writing)

    def session(
        self, program_id: str, village: str | None = None, *, writing: bool = False
    ) -> LedgerSession:
        """The ledger of `program_id` kept by `village` (None: this office's own).

        Refused now, in this order, when there is no such program, the village is not
        one this office may use (with `writing`: may write), or its document is not
        held here. A session opened without `writing` refuses each write the same way.
        """
        program = self._programs.get(program_id)
        me = self._context.me
        roster = [v.id for v in self._roster.villages()]
        chosen = ledger_village(me.kind, me.office, roster, village, writing=writing)
        # Asking again as a writer gives the refusal a write will meet, worded the same.
        refusal: Refusal | None = None
        if not writing and me.kind != TOWNSHIP_KIND and chosen != me.office:
            try:
                ledger_village(me.kind, me.office, roster, chosen, writing=True)
            except Refusal as refused:
                refusal = refused
        self._context.village_doc(chosen)  # refused now if this office holds no such ledger
        return LedgerSession(self._context, program, chosen, refusal)

    def release(self, village: str) -> None:
        """Close a village document to free its memory (a township builds or ranks many)."""
        self._context.release(village)


class LedgerSession:
    """One program's ledger in one village, resolved once (see the module docstring)."""

    def __init__(
        self, context: OfficeContext, program: Program, village: str, refusal: Refusal | None
    ) -> None:
        self._context = context
        self.program = program
        self.village = village
        self._refusal = refusal  # why this office may not write here; None: it may
        self._document = context.village_doc_id(village)

    def _doc(self) -> VillageDoc:
        # The store keeps the document open: this is a lookup, not a load. Asked each
        # time, so a document released meanwhile (ranking closes what it opened) is
        # simply opened again.
        return self._context.store.village(self._document)

    def _writable(self) -> VillageDoc:
        if self._refusal is not None:
            raise Refusal(*self._refusal.problems)
        return self._doc()

    # -- reading ------------------------------------------------------------------------

    def rows(self, include_deleted: bool = False) -> list[Row]:
        """The rows in display order (date, then creation), deleted ones only if asked."""
        return self._doc().rows(self.program.id, self.program.date_column,
                                include_deleted=include_deleted)

    def row(self, row_id: str) -> Row | None:
        return self._doc().row(self.program.id, row_id)

    def to_json_dict(self, include_deleted: bool = False) -> dict[str, Any]:
        """`ledger list --json`: cells as stored."""
        return {"program": self.program.id, "village": self.village,
                "rows": rows_as_cells(self.rows(include_deleted))}

    # -- writing ------------------------------------------------------------------------

    def add_rows(self, rows: Sequence[Mapping[str, str]]) -> list[str]:
        """Add rows typed as text (keys: column ids or titles), all or none; their ids."""
        self._writable()
        parsed, problems = parse_rows(self.program, rows, self._context.lang, whole_rows=True)
        refuse_cells(problems)
        return self.import_rows(parsed)

    def import_rows(self, rows: Sequence[Mapping[str, CellValue]]) -> list[str]:
        """Add already parsed rows (column id -> stored value) in one transaction."""
        doc = self._writable()
        known = {c.id for c in self.program.columns}
        unknown = sorted({k for row in rows for k in row if k not in known})
        if unknown:
            raise Refusal(*(f"no column {k} in program {self.program.id}" for k in unknown))
        who = self._context.who
        return self._context.write(lambda: doc.add_rows(who, self.program.id, rows))

    def warnings(self, cells: Mapping[str, str]) -> list[Message]:
        """What to say about typed cells that are accepted but will not count as the
        clerk expects (a row date outside the program's year); refused cells say
        nothing here (`add_rows` and `set_cells` refuse them)."""
        from vledger.sync.services.permissions import columns_by_name

        by_name = columns_by_name(self.program)
        said: list[Message] = []
        for key, raw in cells.items():
            column = by_name.get(key.strip())
            if column is None:
                continue
            try:
                value = parse_cell(column, raw)
            except ValueProblem:
                continue
            warning = date_warning(self.program, column, value)
            if warning is not None:
                said.append(warning)
        return said

    def set_cells(self, row_id: str, cells: Mapping[str, str]) -> list[JournalEntry]:
        """Edit cells of one row, typed as text; all or none."""
        self._writable()
        parsed, problems = parse_rows(self.program, [cells], self._context.lang,
                                      whole_rows=False)
        refuse_cells(problems)
        doc = self._existing(row_id)
        who = self._context.who
        return self._context.write(lambda: doc.set_cells(who, self.program.id, row_id,
                                                         parsed[0]))

    def write_cells(self, row_id: str, cells: Mapping[str, CellValue]) -> list[JournalEntry]:
        """Write already-parsed values, as undo puts back what a cell held before.

        Unlike set_cells this takes stored values, so undo can empty a required
        cell that was empty before the edit being undone.
        """
        self._writable()
        unknown = sorted(set(cells) - {c.id for c in self.program.columns})
        if unknown:
            raise Refusal(*(f"{self.program.id}: no column {c!r}" for c in unknown))
        doc = self._existing(row_id)
        who = self._context.who
        return self._context.write(lambda: doc.set_cells(who, self.program.id, row_id,
                                                         dict(cells)))

    def delete_row(self, row_id: str) -> list[JournalEntry]:
        doc = self._existing(row_id)
        who = self._context.who
        return self._context.write(lambda: doc.delete_row(who, self.program.id, row_id))

    def restore_row(self, row_id: str) -> list[JournalEntry]:
        doc = self._existing(row_id)
        who = self._context.who
        return self._context.write(lambda: doc.restore_row(who, self.program.id, row_id))

    def _existing(self, row_id: str) -> VillageDoc:
        doc = self._writable()
        if doc.row(self.program.id, row_id) is None:
            raise Refusal(f"no row {row_id} in {self.village}'s {self.program.id} ledger")
        return doc

    # -- files --------------------------------------------------------------------------

    def check_file(self, path: Path | str, *, shown_as: str | None = None) -> FileCheck:
        """Read a .csv or .xlsx file and check every cell, writing nothing: what an
        import would add, or every problem that stops it (for a screen to show before
        the clerk confirms). FILE in messages is `shown_as` (default: `path`)."""
        from vledger.sync.services.tabular import TabularError, read_ledger

        name = shown_as if shown_as is not None else str(path)
        try:
            read = read_ledger(path, shown_as=name)
        except TabularError as error:
            return FileCheck(name, problems=list(error.problems))
        found = read_table(self.program, name, read.records)
        if not found.ok:
            return FileCheck(name, problems=list(found.problems), notes=read.notes)
        warnings = []
        date_column = self.program.column(self.program.date_column)
        for row in found.rows:
            warning = date_warning(self.program, date_column, row.cells.get(date_column.id))
            if warning is not None:
                warnings.append(Problem(name, row.number, date_column.title, warning))
        return FileCheck(name, [row.cells for row in found.rows], notes=read.notes,
                         warnings=tuple(warnings))

    def import_file(self, path: Path | str, *, shown_as: str | None = None) -> FileCheck:
        """Add every row of a .csv or .xlsx file, all or none; what was added.

        Refused, nothing written, with every problem at once as `FILE:ROW:COLUMN:
        message` (after the notes of how the file was read), FILE as `shown_as`
        (default: `path`).
        """
        self._writable()
        found = self.check_file(path, shown_as=shown_as)
        if not found.ok:
            raise Refusal(*found.notes, *found.problems)  # read as GBK helps read them
        if found.rows:
            self.import_rows(found.rows)
        return found


def write_ledger_file(
    path: Path | str, program: Program, rows: Iterable[Mapping[str, CellValue]]
) -> int:
    """Write rows (column id -> stored value) as .csv or .xlsx by the file's extension;
    how many. Needs no open office: the command line writes after closing it."""
    from vledger.sync.services.tabular import TabularError, export_ledger

    try:
        return export_ledger(path, program, rows)
    except TabularError as error:
        raise Refusal(*error.problems) from None
