"""`vledger rank PROGRAM [--period ID] [--json] [--explain VILLAGE]` (cli.md, Ranking).

The text sheet is a plain table that lines up with Chinese names (wide characters
take two columns); `--json` is exactly cli.md's shape; `--explain` prints every step
behind one village's row (domain/explain.py).
"""

from __future__ import annotations

import argparse
from typing import Any

from vledger.messages import Message, say


def register(sub: Any) -> None:
    rank = sub.add_parser(
        "rank", help="the ranking sheet of a program",
        description="Rank the villages for a period (default: today's period, else the year).",
    )
    rank.add_argument("program", metavar="PROGRAM")
    rank.add_argument("--period", metavar="ID", help="a period id of the program, or year")
    rank.add_argument("--json", action="store_true", help="print JSON")
    rank.add_argument("--explain", metavar="VILLAGE", help="how every number of a row came about")
    rank.set_defaults(run=run_rank)


def run_rank(args: argparse.Namespace) -> int:
    from vledger.errors import VledgerError
    from vledger.tui.cli.offices import open_office, print_json

    with open_office(args) as office:
        sheet = office.ranking.sheet(args.program, args.period)
        program = office.programs.get(args.program)
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
        for line in render(steps, args.lang):
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
