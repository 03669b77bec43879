"""`vledger ledger ...`: a village's ledgers (台账) from the command line (cli.md, Ledgers).

add, set, delete, restore, list, import, export, each through one ledger session
(sync/services/ledgers.py). `--village` defaults to this office; the session refuses a
village office naming another village.

Import reads the whole file, checks every cell against the program
(domain/ledger_table.py) and writes all rows in one transaction only when nothing is
wrong; otherwise every problem is one `FILE:ROW:COLUMN: message` line and nothing is
written.

Export writes the header with column titles (what Excel users read; a column whose
title is shared or ambiguous is written by its id, see `header_names`), the rows in
display order, deleted rows left out. Import takes ids or titles, so an exported file
imports back cell for cell (as new rows: a file carries no row ids).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.errors import VledgerError
from vledger.messages import Message, say

if TYPE_CHECKING:
    from vledger.domain.program import Program
    from vledger.sync.services.ledgers import LedgerSession


def register(sub: Any) -> None:
    """Add the `ledger` group and its actions to the top-level subparsers `sub`."""
    group = sub.add_parser("ledger", help="a village's ledgers (台账): add, edit, list, import")
    group.set_defaults(run=_usage(group))
    actions = group.add_subparsers(dest="ledger_command", metavar="ACTION")

    add = actions.add_parser("add", help="add a row; prints its id")
    _program_and_village(add)
    add.add_argument("cells", nargs="+", metavar="COL=VALUE",
                     help="a cell as typed, by column id or title")
    add.set_defaults(run=run_add)

    edit = actions.add_parser("set", help="edit cells of a row")
    _program_and_village(edit)
    edit.add_argument("row", metavar="ROW", help="the row's id (ledger list shows it)")
    edit.add_argument("cells", nargs="+", metavar="COL=VALUE",
                      help="a cell as typed; COL= with nothing clears it")
    edit.set_defaults(run=run_set)

    for name, helptext, handler in (
        ("delete", "mark a row deleted (rows are never removed)", run_delete),
        ("restore", "bring a deleted row back", run_restore),
    ):
        action = actions.add_parser(name, help=helptext)
        _program_and_village(action)
        action.add_argument("row", metavar="ROW", help="the row's id")
        action.set_defaults(run=handler)

    listing = actions.add_parser("list", help="the rows of a ledger")
    _program_and_village(listing)
    listing.add_argument("--json", action="store_true", help="print JSON, cells as stored")
    listing.add_argument("--deleted", action="store_true", help="include deleted rows")
    listing.set_defaults(run=run_list)

    load = actions.add_parser(
        "import", help="add every row of a .csv or .xlsx file, all or none",
        description="Add every row of a .csv (UTF-8, or GBK as Chinese Excel saves a plain "
        "CSV) or .xlsx file whose header names columns by id or title. Nothing is written "
        "unless every cell is right; each problem is printed as FILE:ROW:COLUMN: message.",
    )
    _program_and_village(load, file=True)
    load.set_defaults(run=run_import)

    out = actions.add_parser(
        "export", help="write a ledger to .csv (UTF-8 with BOM) or .xlsx",
        description="Write the ledger's rows (not deleted ones) with column titles as the "
        "header; ledger import reads the file back cell for cell.",
    )
    _program_and_village(out)
    out.add_argument("--out", required=True, metavar="FILE", help="a .csv or .xlsx file")
    out.set_defaults(run=run_export)


def _program_and_village(parser: argparse.ArgumentParser, *, file: bool = False) -> None:
    parser.add_argument("program", metavar="PROGRAM", help="the program's id")
    if file:
        parser.add_argument("file", metavar="FILE", help="a .csv or .xlsx ledger file")
    parser.add_argument("--village", metavar="V", help="the village (default: this office)")


def _usage(parser: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        from vledger.errors import EXIT_USAGE

        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return usage


# -- shared with cli_history ---------------------------------------------------------------


@contextmanager
def cell_refusals() -> Iterator[None]:
    """A refused cell of the one row typed on the command line is named by its column only.

    The ledger session numbers rows of a batch ("row 1: ..."), which means nothing for
    the one row typed here.
    """
    from vledger.sync.services.permissions import Refusal

    try:
        yield
    except Refusal as refusal:
        if not refusal.cells:
            raise
        raise Refusal(*(_cell_line(p.column, p.message) for p in refusal.cells)) from None


def _cell_line(column: str, message: str) -> str:
    # Cell messages usually name the column already ("日期 (date): expected ...").
    if message.startswith(column) or f"({column})" in message or f"（{column}）" in message:
        return message
    return f"{column}: {message}"


def typed_cells(
    args: argparse.Namespace, pairs: Sequence[str], program: Program, *, whole_row: bool
) -> dict[str, str]:
    """COL=VALUE arguments as a map; wrong forms and repeated columns are refused.

    When some are refused, the well-formed cells are checked too, so the one refusal
    lists every problem (the ledger would otherwise only be asked after a retry).
    """
    from vledger.sync.services.permissions import parse_rows

    cells: dict[str, str] = {}
    problems: list[str] = []
    for pair in pairs:
        column, sign, value = pair.partition("=")
        column = column.strip()
        if not sign or not column:
            problems.append(say(args.lang, "cli.ledger.cell-form", pair=pair))
        elif column in cells:
            problems.append(say(args.lang, "cli.ledger.cell-twice", column=column))
        else:
            cells[column] = value
    if problems:
        _, refused = parse_rows(program, [cells], args.lang, whole_rows=whole_row)
        raise VledgerError(*problems, *(_cell_line(p.column, p.message) for p in refused))
    return cells


def shown(value: object, lang: str) -> str:
    """A stored value on one line of a terminal, inert (cells may hold what was written
    before control characters were refused, or by another tool)."""
    from vledger.domain.values import visible

    if value is None:
        return ""
    if isinstance(value, bool):
        return say(lang, "cli.yes" if value else "cli.no")
    if isinstance(value, dict | list):  # township values: a roster entry, a list
        import json

        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return visible(text)  # line breaks as ↵, control characters and bidi marks as escapes


# -- handlers --------------------------------------------------------------------------------


@contextmanager
def session_of(args: argparse.Namespace, *, writing: bool = True) -> Iterator[LedgerSession]:
    """The office's session on the ledger the command names, the office open meanwhile."""
    from vledger.tui.cli.offices import open_office

    with open_office(args) as office:
        yield office.ledgers.session(args.program, args.village, writing=writing)


def warn(args: argparse.Namespace, said: Sequence[object], *, notes: Sequence[object] = ()
         ) -> None:
    """Notes and warnings go to stderr, so stdout stays what a script reads."""
    from vledger.messages import localize

    for line in notes:
        print(localize(line, args.lang), file=sys.stderr)
    for line in said:
        print(say(args.lang, "cli.warning", text=localize(line, args.lang)), file=sys.stderr)


def run_add(args: argparse.Namespace) -> int:
    with session_of(args) as ledger, cell_refusals():
        cells = typed_cells(args, args.cells, ledger.program, whole_row=True)
        (row_id,) = ledger.add_rows([cells])
        warnings = ledger.warnings(cells)
    warn(args, warnings)
    print(row_id)
    return 0


def run_set(args: argparse.Namespace) -> int:
    with session_of(args) as ledger, cell_refusals():
        cells = typed_cells(args, args.cells, ledger.program, whole_row=False)
        ledger.set_cells(args.row, cells)
        warnings = ledger.warnings(cells)
    warn(args, warnings)
    count = len(cells)
    print(say(args.lang, "cli.ledger.cells-set", row=args.row, count=count))
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with session_of(args) as ledger:
        ledger.delete_row(args.row)
    print(say(args.lang, "cli.ledger.deleted", row=args.row))
    return 0


def run_restore(args: argparse.Namespace) -> int:
    with session_of(args) as ledger:
        ledger.restore_row(args.row)
    print(say(args.lang, "cli.ledger.restored", row=args.row))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import print_json

    with session_of(args, writing=False) as ledger:
        if args.json:
            listed = ledger.to_json_dict(include_deleted=args.deleted)
        else:
            program, rows = ledger.program, ledger.rows(include_deleted=args.deleted)
    if args.json:
        print_json(listed)
        return 0
    for line in ledger_lines(args, program, [(r.id, r.deleted, r.cells) for r in rows]):
        print(line)
    return 0


def ledger_lines(
    args: argparse.Namespace,
    program: Program,
    rows: Sequence[tuple[str, bool, Any]],
) -> list[str]:
    """The rows as an aligned table: row id, then every column by title."""
    from vledger.tui.cli.offices import table

    if not rows:
        return [say(args.lang, "cli.ledger.no-rows")]
    numbers = frozenset(
        i + 1 for i, c in enumerate(program.columns) if c.type in ("int", "decimal")
    )
    header = (say(args.lang, "cli.head.row"), *(c.title for c in program.columns))
    deleted = say(args.lang, "cli.ledger.deleted-mark")
    lines = [
        (row_id + (deleted if is_deleted else ""),
         *(shown(cells.get(c.id), args.lang) for c in program.columns))
        for row_id, is_deleted, cells in rows
    ]
    return table(header, lines, right=numbers)


def run_import(args: argparse.Namespace) -> int:
    with session_of(args) as ledger:
        done = ledger.import_file(args.file, shown_as=args.file)
        village, program = ledger.village, ledger.program.id
    warn(args, done.warnings, notes=done.notes)
    print(say(args.lang, "cli.ledger.imported", count=done.count, village=village,
              program=program))
    return 0


def run_export(args: argparse.Namespace) -> int:
    from vledger.sync.services.ledgers import write_ledger_file
    from vledger.sync.services.tabular import EXTENSIONS

    out = Path(args.out)
    if out.suffix.lower() not in EXTENSIONS:
        raise VledgerError(Message("cli.ledger.export-kind", file=args.out))
    with session_of(args, writing=False) as ledger:
        program = ledger.program
        rows = ledger.rows()
    count = write_ledger_file(out, program, [r.cells for r in rows])
    print(say(args.lang, "cli.ledger.exported", count=count, file=args.out))
    return 0
