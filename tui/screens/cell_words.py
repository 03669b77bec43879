"""A journal cell (program, village, row, column) in a clerk's words: the village's name,
the program's title, the row by its date and first cells, the column's title. The
conflicts, blame and history screens name cells with these instead of ids.

`read_cell_words` runs on the office's worker (it reads the ledgers' rows); what it finds
is plain data the screens keep and show. No Textual here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vledger.domain.program import YEAR, Program
from vledger.domain.row_words import row_label
from vledger.errors import VledgerError
from vledger.messages import say

if TYPE_CHECKING:
    from vledger.domain.history import Cell
    from vledger.sync.services.office import Office

# Journal rows of the township's sheets: "target:<indicator>" and so on (documents/township.py).
SHEET_WORDS = {"target": "ui.targets", "entered": "ui.entered", "manual": "ui.manual",
               "adjustment": "ui.adjustments"}
# The township document's other journal rows: the roster, a program file, the name, a
# publication (documents/township.py).
TOWNSHIP_ROWS = {"roster": "ui.row.roster", "program": "ui.row.program",
                 "township": "ui.row.township", "publication": "ui.row.publication"}
TOWNSHIP_COLUMNS = {"devices": "ui.op.device", "name": "ui.op.name"}
DELETED_COLUMN = "deleted"


@dataclass(frozen=True)
class CellWords:
    """How each part of one cell reads; a part nobody can name keeps its id."""

    village: str
    program: str
    row: str
    column: str


@dataclass(frozen=True)
class LedgerWords:
    """What naming cells needs of the office, read once on the worker: the programs by id
    and each (program, village) ledger's row labels."""

    programs: dict[str, Program]
    rows: dict[tuple[str, str], dict[str, str]]
    names: dict[str, str]  # office id -> name (villages and the township)

    def cell(self, cell: Cell, lang: str) -> CellWords:
        program_id, village, row, column = cell
        program = self.programs.get(program_id)
        return CellWords(
            village=self.names.get(village, village),
            program=program.title if program is not None else program_id,
            row=self._row(program, program_id, village, row, lang),
            column=_column(program, row, column, lang),
        )

    def _row(self, program: Program | None, program_id: str, village: str, row: str,
             lang: str) -> str:
        if row in TOWNSHIP_ROWS:
            return say(lang, TOWNSHIP_ROWS[row])
        kind, _, key = row.partition(":")
        if kind in SHEET_WORDS and key:
            return f"{say(lang, SHEET_WORDS[kind])} · {_sheet_key_title(program, kind, key)}"
        return self.rows.get((program_id, village), {}).get(row) or row


NO_WORDS = LedgerWords({}, {}, {})  # before the words are read: every part by its id


def _sheet_key_title(program: Program | None, kind: str, key: str) -> str:
    if program is None:
        return key
    try:
        if kind in ("target", "entered"):
            return program.indicator(key).title
        if kind == "manual":
            return program.item(key).title
        return program.adjustment(key).title
    except KeyError:
        return key


def _column(program: Program | None, row: str, column: str, lang: str) -> str:
    if column == DELETED_COLUMN:
        return say(lang, "ui.cell.deleted")
    if row in TOWNSHIP_ROWS:
        return say(lang, TOWNSHIP_COLUMNS[column]) if column in TOWNSHIP_COLUMNS else column
    kind = row.partition(":")[0]
    if kind in SHEET_WORDS:  # a township value: its column is the period (or none)
        if not column:
            return say(lang, "ui.sheets.whole-year")
        if program is not None and column in program.period_ids:
            return program.period(column).title if column != YEAR else str(program.year)
        return column
    if program is not None:
        try:
            return program.column(column).title
        except KeyError:
            pass
    return column


def ledger_row_labels(office: Office, program: Program, village: str) -> dict[str, str]:
    """On the worker: each row of a village's ledger by its date and first cells (empty
    when this office does not hold that ledger: rows are then named by id)."""
    try:
        session = office.ledgers.session(program.id, village)
        return {r.id: row_label(program, r.cells) for r in session.rows(include_deleted=True)}
    except VledgerError:
        return {}


def read_cell_words(office: Office, cells: Iterable[Cell]) -> LedgerWords:
    """On the worker: the programs and row labels needed to name `cells`."""
    cells = list(cells)
    programs: dict[str, Program] = {}
    rows: dict[tuple[str, str], dict[str, str]] = {}
    for program_id, village, row, _column in cells:
        if program_id and program_id not in programs:
            try:
                programs[program_id] = office.programs.get(program_id)
            except VledgerError:
                pass  # a program not held here: its id is shown
        key = (program_id, village)
        if key in rows or program_id not in programs or ":" in row or row in TOWNSHIP_ROWS:
            continue
        try:
            session = office.ledgers.session(program_id, village)
            rows[key] = {r.id: row_label(programs[program_id], r.cells)
                         for r in session.rows(include_deleted=True)}
        except VledgerError:
            rows[key] = {}  # a ledger not held or not readable here: ids are shown
    names = {v.id: v.name for v in office.roster.villages()}
    me = office.roster.whoami()
    names[me.township] = me.township_name
    return LedgerWords(programs, rows, names)
