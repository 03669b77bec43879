"""`vledger rank PROGRAM [--period ID] [--json] [--explain VILLAGE] [--published | --changes]
[--out FILE]` (cli.md, Ranking; Publishing a ranking; Exports).

The text sheet is a plain table that lines up with Chinese names (wide characters
take two columns); `--json` is exactly cli.md's shape; `--explain` prints every step
behind one village's row (domain/explain.py). `--published` shows the latest
publication of the period exactly as announced (its explanation is computed again from
the documents as they were then), `--changes` what differs now and the late edits behind
it, `--out` writes the sheet (live or published) as .xlsx, .csv or .html.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vledger.messages import Message, say

if TYPE_CHECKING:
    from vledger.sync.services.publications import Changes
    from vledger.sync.services.sheet_export import SheetTable


def register(sub: Any) -> None:
    rank = sub.add_parser(
        "rank", help="the ranking sheet of a program",
        description="Rank the villages for a period (default: today's period, else the year).",
    )
    rank.add_argument("program", metavar="PROGRAM")
    rank.add_argument("--period", metavar="ID", help="a period id of the program, or year")
    rank.add_argument("--json", action="store_true", help="print JSON")
    rank.add_argument("--explain", metavar="VILLAGE", help="how every number of a row came about")
    which = rank.add_mutually_exclusive_group()
    which.add_argument("--published", action="store_true",
                       help="the latest publication of the period, exactly as published")
    which.add_argument("--changes", action="store_true",
                       help="what differs now from the latest publication, and the late edits")
    rank.add_argument("--out", metavar="FILE", type=Path,
                      help="write the sheet to FILE: .xlsx, .csv or .html")
    rank.set_defaults(run=run_rank)


def run_rank(args: argparse.Namespace) -> int:
    from vledger.errors import VledgerError
    from vledger.tui.cli.offices import open_office, print_json

    if args.changes and (args.out is not None or args.explain is not None):
        raise VledgerError(Message("publish.changes-alone"))
    with open_office(args) as office:
        if args.changes:
            return _print_changes(args, office.publications.changes(args.program, args.period))
        if args.out is not None:
            written = office.publications.export(args.program, args.period, args.out,
                                                 published=args.published)
            print(say(args.lang, "export.written", file=str(written)))
            return 0
        program = office.programs.get(args.program)
        if args.published:
            publication = office.publications.latest(args.program, args.period)
            if args.explain is None:
                if args.json:
                    print_json({**publication.sheet, "published": publication.stamp()})
                    return 0
                table = office.publications.table(args.program, args.period, published=True)
                for line in table_lines(table):
                    print(line)
                return 0
            sheet = office.publications.recompute(publication)
        else:
            sheet = office.ranking.sheet(args.program, args.period)
        rows: dict[str, str] = {}
        if args.explain is not None:  # counted rows by their date and first cells
            from vledger.tui.screens.cell_words import ledger_row_labels

            rows = ledger_row_labels(office, program, args.explain)
    if args.explain is not None:
        from vledger.domain.explain import explain_village, render

        try:
            steps = explain_village(sheet, args.explain)
        except KeyError:
            raise VledgerError(Message(
                "cli.rank.no-village", village=args.explain, program=sheet.program
            )) from None
        row = sheet.row(args.explain)
        print(f"{row.village} {row.name} — {sheet.program_title} {sheet.period_title}")
        for line in render(steps, args.lang, rows):
            print(line)
        return 0
    if args.json:
        print_json(sheet.to_json_dict())
        return 0
    for line in sheet_lines(sheet, program, args.lang):
        print(line)
    return 0


def sheet_lines(sheet: Any, program: Any, lang: str) -> list[str]:
    """The ranking sheet as a text table: rank, village, item scores, totals, money."""
    from vledger.domain.decimals import format_money, format_score
    from vledger.tui.cli.offices import table

    items = [i for i in program.items]
    # Item titles are the township's Chinese; an English sheet names items by id.
    names = [i.title if lang == "zh" else i.id for i in items]
    header = (
        say(lang, "cli.head.rank"), say(lang, "cli.head.village"), *names,
        *(say(lang, key) for key in ("cli.head.adjustments", "cli.head.rank-bonus",
                                     "cli.head.total", "cli.head.complete", "cli.head.amount")),
    )
    rows = []
    for row in sheet.rows:
        mark = say(lang, "cli.rank.vetoed") if row.vetoed else (
            say(lang, "cli.yes") if row.complete else ""
        )
        rows.append((
            str(row.rank), f"{row.village} {row.name}",
            *(format_score(row.items[i.id].score) for i in items),
            format_score(row.adjustments), format_score(row.rank_bonus),
            format_score(row.total), mark, format_money(row.amount),
        ))
    numeric = frozenset({0, *range(2, 2 + len(items) + 3), len(header) - 1})
    title = f"{sheet.program_title} — {sheet.period_title}"
    lines = [title, *table(header, rows, numeric)]
    if sheet.areas:
        lines.append("")
        for area in sheet.areas:
            lines.append(say(lang, "cli.rank.area", area=area.area,
                             amount=format_money(area.amount)))
    warned = sum(len(r.warnings) for r in sheet.rows)
    if warned:
        lines.append("")
        lines.append(say(lang, "cli.rank.warned", count=warned))
    return lines


def table_lines(table: SheetTable) -> list[str]:
    """A sheet as exported (a publication's), as the same text table as the live sheet."""
    from vledger.tui.cli.offices import table as text_table

    columns = table.columns
    index = {c.id: i for i, c in enumerate(columns)}
    items = [i for i, c in enumerate(columns)
             if c.kind == "score" and c.id not in ("adjustments", "rank_bonus", "total")]
    lang = table.lang
    header = (
        columns[index["rank"]].title, say(lang, "cli.head.village"),
        *(columns[i].title if lang == "zh" else columns[i].id for i in items),
        *(say(lang, key) for key in ("cli.head.adjustments", "cli.head.rank-bonus",
                                     "cli.head.total", "cli.head.complete", "cli.head.amount")),
    )
    rows = []
    for row in table.rows:
        mark = say(lang, "cli.rank.vetoed") if row[index["vetoed"]] else (
            say(lang, "cli.yes") if row[index["complete"]] else "")
        rows.append((
            str(row[index["rank"]]), f"{row[index['village']]} {row[index['name']]}".strip(),
            *(table.text(row, i) for i in items),
            *(table.text(row, index[k]) for k in ("adjustments", "rank_bonus", "total")),
            mark, table.text(row, index["amount"]),
        ))
    numeric = frozenset({0, *range(2, 2 + len(items) + 3), len(header) - 1})
    lines = [table.title, table.stamp, *text_table(header, rows, numeric)]
    if table.areas:
        lines.append("")
        lines += [say(lang, "cli.rank.area", area=area, amount=str(amount))
                  for area, amount in table.areas]
    return lines


def _print_changes(args: argparse.Namespace, changes: Changes) -> int:
    from vledger.tui.cli.history import edit_lines
    from vledger.tui.cli.offices import print_json, table

    if args.json:
        print_json(changes.to_json_dict())
        return 0
    lang = args.lang
    publication = changes.publication
    print(say(lang, "publish.changes.head", program=publication.program,
              period=publication.period, id=publication.id, version=publication.version,
              at=publication.at[:16].replace("T", " "), by=publication.office))
    if not changes.changes:
        print(say(lang, "publish.changes.none"))
    else:
        header = tuple(say(lang, key) for key in (
            "cli.head.village", "publish.head.field", "publish.head.published",
            "publish.head.now"))
        rows = [(c.village, c.field, _shown(c.published, lang), _shown(c.now, lang))
                for c in changes.changes]
        for line in table(header, rows, frozenset({2, 3})):
            print(line)
    print()
    if not changes.late:
        print(say(lang, "publish.late.none"))
        return 0
    print(say(lang, "publish.late.head", count=len(changes.late)))
    records = [{
        "at": e.at, "id": e.id, "office": e.office, "op": e.op, "program": e.program,
        "village": e.village, "row": e.row, "column": e.column, "old": e.old, "new": e.new,
        "concurrent_with": [],
    } for e in changes.late]
    for line in edit_lines(args, records):
        print(line)
    return 0


def _shown(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return say(lang, "cli.yes" if value else "cli.no")
    return str(value)
