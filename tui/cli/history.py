"""`vledger history`, `blame`, `conflicts`, `resolve` (cli.md, History and conflicts).

Everything comes from the journal that every edit writes (domain/history.py), read by
the office's history service. Text output is for people: newest first, times as recorded
(each office's own clock and offset), a concurrent edit marked with the ids it raced.
`--json` prints the shapes cli.md fixes, with the extra fields `edit_record` gives (user,
prev, settles).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from vledger.errors import VledgerError
from vledger.messages import Message, say
from vledger.tui.cli.ledger import shown

if TYPE_CHECKING:
    from vledger.domain.program import Program
    from vledger.sync.services.office import Office


def register(sub: Any) -> None:
    history = sub.add_parser("history", help="every recorded edit, newest first")
    history.add_argument("--program", metavar="P", help="only this program's edits")
    history.add_argument("--village", metavar="V", help="only this village's edits")
    history.add_argument("--office", metavar="O", help="only edits made by this office")
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(run=run_history)

    blame = sub.add_parser("blame", help="the chain of edits behind one cell's value")
    blame.add_argument("program", metavar="PROGRAM", help="the program's id")
    blame.add_argument("row", metavar="ROW", help="the row's id")
    blame.add_argument("column", metavar="COLUMN",
                       help="the column's id or title (or 'deleted' for the row's flag)")
    blame.add_argument("--village", metavar="V", help="the village (default: this office)")
    blame.add_argument("--json", action="store_true", help="print JSON")
    blame.set_defaults(run=run_blame)

    conflicts = sub.add_parser("conflicts", help="cells two offices changed concurrently")
    conflicts.add_argument("--json", action="store_true", help="print JSON")
    conflicts.set_defaults(run=run_conflicts)

    resolve = sub.add_parser("resolve", help="settle a conflict with a new recorded edit")
    resolve.add_argument("conflict", metavar="CONFLICT", help="the conflict's id")
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--value", metavar="VALUE", help="a new value, typed as in the ledger")
    how.add_argument("--keep", metavar="EDIT", help="keep the value of this competing edit")
    resolve.set_defaults(run=run_resolve)


def _json_value(value: Any) -> Any:
    """Stored values are JSON already; anything else (a Decimal) prints as its text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _record(record: dict[str, Any]) -> dict[str, Any]:
    return {k: _json_value(v) if k in ("old", "new") else v for k, v in record.items()}


def _change(args: argparse.Namespace, old: Any, new: Any) -> str:
    empty = say(args.lang, "cli.empty")
    return f"{shown(old, args.lang) or empty} → {shown(new, args.lang) or empty}"


def _what(record: dict[str, Any]) -> str:
    parts = (record["program"], record["village"], record["row"], record["column"])
    return " ".join(p for p in parts if p)


def _concurrent(args: argparse.Namespace, ids: list[str]) -> str:
    return say(args.lang, "cli.history.concurrent", edits=ids) if ids else ""


def _late(args: argparse.Namespace, record: dict[str, Any]) -> str:
    # An edit the latest publication of a period it touches did not include.
    return say(args.lang, "publish.late.mark") if record.get("late") else ""


def edit_lines(args: argparse.Namespace, records: list[dict[str, Any]]) -> list[str]:
    """Recorded edits as an aligned table (newest first, as given)."""
    from vledger.tui.cli.offices import table

    if not records:
        return [say(args.lang, "cli.history.none")]
    header = (
        *(say(args.lang, key) for key in ("cli.head.time", "cli.head.edit", "cli.head.office",
                                          "cli.head.op", "cli.head.cell", "cli.head.change")),
        "",
    )
    rows = [
        (r["at"], r["id"], r["office"], r["op"], _what(r), _change(args, r["old"], r["new"]),
         " ".join(filter(None, (_late(args, r), _concurrent(args, r["concurrent_with"])))))
        for r in records
    ]
    if not any(row[-1] for row in rows):
        return table(header[:-1], [row[:-1] for row in rows])
    return table(header, rows)


def run_history(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office, print_json

    with open_office(args) as office:
        _check_filters(args, office)
        records = [_record(r) for r in office.history.edits(args.program, args.village,
                                                             args.office)]
    if args.json:
        print_json({"edits": records})
        return 0
    for line in edit_lines(args, records):
        print(line)
    return 0


def _check_filters(args: argparse.Namespace, office: Office) -> None:
    """A filter that names nothing known is a typing mistake, not an empty history."""
    if args.program is not None:
        office.programs.get(args.program)
    if args.village is not None:
        office.ledgers.village(args.village)
    if args.office is not None and office.roster.office(args.office) is None:
        raise VledgerError(Message("cli.history.no-office", office=args.office))


def run_blame(args: argparse.Namespace) -> int:
    from vledger.domain.history import DELETED
    from vledger.tui.cli.offices import open_office, print_json

    with open_office(args) as office:
        ledger = office.ledgers.session(args.program, args.village)
        program, village = ledger.program, ledger.village
        column = _column_id(args, program, args.column)
        if ledger.row(args.row) is None:
            raise VledgerError(Message(
                "cli.history.no-row", row=args.row, village=village, program=program.id
            ))
        cell = (program.id, village, args.row, column)
        value = office.history.current_value(cell)
        history = office.history.journal(village, program.id)
        chain = [_record(history.edit_record(e)) for e in history.blame(*cell, value)]
    if args.json:
        print_json({"program": program.id, "village": village, "row": args.row,
                    "column": column, "value": _json_value(value), "edits": chain})
        return 0
    title = (
        say(args.lang, "cli.history.deleted-column")
        if column == DELETED
        else program.column(column).title
    )
    print(f"{program.id} {village} {args.row} {title}: {shown(value, args.lang) or '—'}")
    for line in edit_lines(args, chain):
        print(line)
    return 0


def _column_id(args: argparse.Namespace, program: Program, name: str) -> str:
    from vledger.domain.history import DELETED
    from vledger.sync.services.permissions import columns_by_name

    if name == DELETED:
        return DELETED
    column = columns_by_name(program).get(name.strip())
    if column is None:
        known = [c.id for c in program.columns]
        raise VledgerError(Message(
            "cli.history.no-column", name=name, program=program.id, columns=known
        ))
    return column.id


def run_conflicts(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office, print_json

    with open_office(args) as office:
        found = [c.to_plain() for c in office.history.conflicts()]
    for conflict in found:
        conflict["shown"] = _json_value(conflict["shown"])
        for value in conflict["values"]:
            value["value"] = _json_value(value["value"])
    if args.json:
        print_json({"conflicts": found})
        return 0
    if not found:
        print(say(args.lang, "cli.conflicts.none"))
        return 0
    empty = say(args.lang, "cli.empty")
    for conflict in found:
        print(say(
            args.lang, "cli.conflicts.conflict", id=conflict["id"], cell=_what(conflict),
            shown=shown(conflict["shown"], args.lang) or empty,
        ))
        for value in conflict["values"]:
            text = shown(value["value"], args.lang) or empty
            print(f"  {value['edit']}  {value['office']}  {value['at']}  {text}")
    print(say(args.lang, "cli.conflicts.how"))
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from vledger.tui.cli.ledger import cell_refusals
    from vledger.tui.cli.offices import open_office

    with open_office(args) as office, cell_refusals():
        office.history.resolve(args.conflict, value=args.value, keep=args.keep)
    print(say(args.lang, "cli.conflicts.settled", conflict=args.conflict))
    return 0
