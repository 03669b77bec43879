"""`vledger sheet import` and `vledger target set`: the ranking sheet's inputs (cli.md).

Both are the township's: the sheets service refuses them in a village home. A sheet file is
imported whole or not at all, every bad cell reported as `FILE:ROW:COLUMN: message`.
"""

from __future__ import annotations

import argparse
from typing import Any

from vledger.messages import say

SHEET_KINDS = ("targets", "entered", "manual", "adjustments")


def register(sub: Any) -> None:
    """Add the `sheet` and `target` groups."""
    from vledger.tui.cli.offices import _usage

    sheet = sub.add_parser("sheet", help="the township's sheets: targets, entered values, ...")
    sheet.set_defaults(run=_usage(sheet))
    actions = sheet.add_subparsers(dest="sheet_command", metavar="ACTION")
    imp = actions.add_parser(
        "import", help="import a sheet CSV (all rows or none)",
        description="KIND is targets (village,indicator,value), entered "
        "(village,indicator,period,value), manual (village,item,period,points) or "
        "adjustments (village,adjustment,period,count); the header is exactly these.",
    )
    imp.add_argument("program", metavar="PROGRAM")
    imp.add_argument("kind", metavar="KIND", choices=SHEET_KINDS)
    imp.add_argument("file", metavar="FILE.csv")
    imp.set_defaults(run=run_import)

    target = sub.add_parser("target", help="one village's annual target")
    target.set_defaults(run=_usage(target))
    target_actions = target.add_subparsers(dest="target_command", metavar="ACTION")
    put = target_actions.add_parser("set", help="set one target")
    put.add_argument("program", metavar="PROGRAM")
    put.add_argument("village", metavar="VILLAGE")
    put.add_argument("indicator", metavar="INDICATOR")
    put.add_argument("value", metavar="VALUE")
    put.set_defaults(run=run_target_set)


def run_import(args: argparse.Namespace) -> int:
    from vledger.tui.cli.ledger import warn
    from vledger.tui.cli.offices import open_office

    with open_office(args) as office:
        done = office.sheets.import_csv(args.program, args.kind, args.file, shown_as=args.file)
    warn(args, (), notes=done.notes)
    print(say(args.lang, "cli.sheet.imported", program=args.program, kind=args.kind,
              count=done.count))
    return 0


def run_target_set(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office

    with open_office(args) as office:
        office.sheets.set_target(args.program, args.village, args.indicator, args.value)
    return 0
