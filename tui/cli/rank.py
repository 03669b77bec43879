"""`vledger rank PROGRAM [--period ID] [--json] [--explain VILLAGE]` (cli.md, Ranking).

The text sheet is a plain table that lines up with Chinese names (wide characters
take two columns); `--json` is exactly cli.md's shape; `--explain` prints every step
behind one village's row (domain/explain.py).
"""

from __future__ import annotations

import argparse
from typing import Any


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
            raise VledgerError(f"no village {args.explain} on the {sheet.program} sheet") from None
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

    zh = lang == "zh"
    items = [i for i in program.items]
    header = (
        ("名次", "村", *(i.title for i in items), "加扣分", "名次加分", "总分", "全面完成",
         "奖罚")
        if zh else
        ("rank", "village", *(i.id for i in items), "adj", "bonus", "total", "complete",
         "amount")
    )
    rows = []
    for row in sheet.rows:
        mark = ("否决" if zh else "veto") if row.vetoed else (
            ("是" if zh else "yes") if row.complete else ""
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
            word = "管区" if zh else "area"
            lines.append(f"{word} {area.area}: {format_money(area.amount)}")
    warned = sum(len(r.warnings) for r in sheet.rows)
    if warned:
        lines.append("")
        lines.append(
            f"{warned} 条台账记录未计入任何阶段（用 --explain 查看）" if zh
            else f"{warned} ledger row(s) count in no period (see --explain)"
        )
    return lines
