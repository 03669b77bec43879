"""A ledger file (台账) read as a table: header to columns, every cell parsed, every problem.

A clerk keeps a ledger in Excel and imports it whole (cli.md `ledger import`). The file
is checked completely before anything is written, and every problem is reported at its
cell as `FILE:ROW:COLUMN: message`, so the clerk fixes the file once rather than once
per problem:

- ROW is what the clerk sees: the line of the CSV file (where a quoted cell spans
  several lines, the line the record starts on) or the row number of the .xlsx sheet.
- COLUMN is the column as the file's header names it (an id like `date` or a title like
  `日期`). A header cell that is empty but has values below it is named by its
  spreadsheet letter (`C`), the only name the clerk can see.
- Problems of the whole header (a required column missing) are `FILE:ROW: message`,
  and a file with nothing in it is `FILE: message`.

The header names each column by its id or its title (`header_names` gives what export
writes). Ids win: a header cell equal to some column's id is that column even when it is
also another column's title. A title shared by two columns is ambiguous and refused.

Rows whose cells are all empty (spreadsheets leave them at the end and between blocks)
are skipped; the rows kept are only meaningful when there are no problems.

Nothing here reads files: sync/tabular.py turns CSV and .xlsx files into `Record`s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from vledger.domain.program import CellValue, Column, Program
from vledger.domain.values import ValueProblem, parse_cell
from vledger.messages import Message

__all__ = [
    "LedgerTable",
    "Problem",
    "Record",
    "TableRow",
    "column_letter",
    "header_names",
    "read_table",
]


@dataclass(frozen=True)
class Record:
    """One row of a file as text: `number` is its CSV line or sheet row (1-based)."""

    number: int
    cells: tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a ledger file, located as the clerk sees it."""

    file: str
    row: int | None
    column: str | None
    message: Message

    def text(self, lang: str) -> str:
        """`FILE:ROW:COLUMN: message` in `lang`."""
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message.text(lang)}"

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class TableRow:
    """A row to add: its place in the file and its cells by column id (stored forms)."""

    number: int
    cells: dict[str, CellValue]


@dataclass(frozen=True)
class LedgerTable:
    """What a ledger file holds; `rows` may be used only when `problems` is empty."""

    file: str
    header_row: int | None
    columns: tuple[Column | None, ...]  # the column each header cell names (None: unnamed)
    rows: tuple[TableRow, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def messages(self, lang: str = "en") -> list[str]:
        return [p.text(lang) for p in self.problems]


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 -> A, 26 -> AA."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def header_names(program: Program) -> dict[str, str]:
    """What export writes in the header for each column id: its title, for Excel users.

    A title that another column also uses, or that is another column's id, would not
    read back as this column, so such a column is written by its id instead. Reading
    back with `read_table` maps every name to the column it came from.
    """
    ids = {c.id for c in program.columns}
    uses: dict[str, int] = {}
    for column in program.columns:
        uses[column.title] = uses.get(column.title, 0) + 1
    return {
        c.id: c.title
        if c.title.strip() == c.title and c.title and uses[c.title] == 1
        and (c.title not in ids or c.title == c.id)
        else c.id
        for c in program.columns
    }


def _blank(text: str) -> bool:
    return not text.strip()  # str.strip() also drops U+3000, the IME's space


def _header_name(raw: str) -> str:
    # A byte-order mark left by a reader that did not expect one (Notepad and Excel write
    # it) would make the first column unknown: it is never part of a name.
    return raw.replace("\ufeff", "").strip()


class _Reader:
    """Collects the problems of one file while its header and rows are read."""

    def __init__(self, program: Program, file: str) -> None:
        self.program = program
        self.file = file
        self.problems: list[Problem] = []

    def refuse(self, row: int | None, column: str | None, message: Message) -> None:
        self.problems.append(Problem(self.file, row, column, message))

    # -- header ----------------------------------------------------------------

    def header(self, record: Record, data: Sequence[Record]) -> tuple[Column | None, ...]:
        by_id = {c.id: c for c in self.program.columns}
        by_title: dict[str, list[Column]] = {}
        for each in self.program.columns:
            by_title.setdefault(each.title, []).append(each)
        named: list[Column | None] = []
        first_at: dict[str, str] = {}
        for index, raw in enumerate(record.cells):
            name = _header_name(raw)
            column = self._name(record.number, index, name, by_id, by_title, data)
            if column is not None and column.id in first_at:
                self.refuse(record.number, name, Message(
                    "ledger.header.twice",
                    title=column.title, id=column.id, other=first_at[column.id],
                ))
                column = None
            elif column is not None:
                first_at[column.id] = name
            named.append(column)
        for needed in self.program.columns:
            if needed.required and needed.id not in first_at:
                self.refuse(record.number, None, Message(
                    "ledger.header.required-missing", title=needed.title, id=needed.id
                ))
        return tuple(named)

    def _name(
        self,
        line: int,
        index: int,
        name: str,
        by_id: dict[str, Column],
        by_title: dict[str, list[Column]],
        data: Sequence[Record],
    ) -> Column | None:
        if not name:
            if any(index < len(r.cells) and not _blank(r.cells[index]) for r in data):
                self.refuse(line, column_letter(index), Message("ledger.header.no-name"))
            return None
        if name in by_id:
            return by_id[name]
        titled = by_title.get(name, [])
        if len(titled) == 1:
            return titled[0]
        if titled:
            ids = [c.id for c in titled]
            self.refuse(line, name, Message("ledger.header.ambiguous", ids=ids))
        else:
            known = [
                Message("ledger.column-name", title=c.title, id=c.id) for c in self.program.columns
            ]
            self.refuse(line, name, Message(
                "ledger.header.unknown", program=self.program.id, columns=known
            ))
        return None

    # -- rows ------------------------------------------------------------------

    def row(
        self, record: Record, header: Sequence[str], columns: Sequence[Column | None]
    ) -> TableRow:
        cells: dict[str, CellValue] = {}
        for index, raw in enumerate(record.cells):
            if index >= len(columns):
                if not _blank(raw):
                    self.refuse(record.number, column_letter(index), Message(
                        "ledger.cell.beyond-header", value=raw.strip()
                    ))
                continue
            column = columns[index]
            if column is None:
                continue  # its header was refused (or it is an empty, unnamed column)
            try:
                cells[column.id] = parse_cell(column, raw)
            except ValueProblem as problem:
                self.refuse(record.number, header[index], problem.said)
        # Required columns that the row is too short to reach are empty, not absent.
        for index in range(len(record.cells), len(columns)):
            column = columns[index]
            if column is not None and column.required:
                try:
                    parse_cell(column, "")
                except ValueProblem as problem:
                    self.refuse(record.number, header[index], problem.said)
        return TableRow(record.number, {k: v for k, v in cells.items() if v is not None})


def read_table(program: Program, file: str, records: Iterable[Record]) -> LedgerTable:
    """Read a ledger file's records (header first) against `program`'s columns.

    `file` is the name problems carry (as the user typed it). The first non-empty
    record is the header; empty records anywhere are skipped. Problems are said in
    either language when they are shown (`LedgerTable.messages(lang)`).
    """
    reader = _Reader(program, file)
    filled = [r for r in records if any(not _blank(c) for c in r.cells)]
    if not filled:
        reader.refuse(None, None, Message("ledger.file.empty"))
        return LedgerTable(file, None, (), (), tuple(reader.problems))
    head, data = filled[0], filled[1:]
    columns = reader.header(head, data)
    header = [_header_name(cell) for cell in head.cells]
    rows = tuple(reader.row(record, header, columns) for record in data)
    return LedgerTable(file, head.number, columns, rows, tuple(reader.problems))
