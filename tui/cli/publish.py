"""`vledger publish PROGRAM --period ID [--note TEXT]` and `vledger publications [PROGRAM]
[--json]` (cli.md, Publishing a ranking (通报)).

Publishing freezes the sheet of a period as it is now, in the township document, so
every office gets it by sync or bundle; `rank --published` and `rank --changes` read it.
"""

from __future__ import annotations

import argparse
from typing import Any

from vledger.messages import say


def register(sub: Any) -> None:
    publish = sub.add_parser(
        "publish", help="freeze a period's ranking sheet as announced (township)",
        description="Freeze the current sheet of a period as a publication; print its id.",
    )
    publish.add_argument("program", metavar="PROGRAM")
    publish.add_argument("--period", metavar="ID", required=True,
                         help="a period id of the program, or year")
    publish.add_argument("--note", metavar="TEXT", default="",
                         help="what the announcement says (a meeting, a document number)")
    publish.set_defaults(run=run_publish)

    listing = sub.add_parser("publications", help="every published ranking sheet")
    listing.add_argument("program", metavar="PROGRAM", nargs="?", help="only this program's")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_publications)


def run_publish(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office

    with open_office(args) as office:
        publication = office.publications.publish(args.program, args.period, args.note)
    import sys

    print(publication.id)  # alone on stdout, for scripts; the sentence is for the clerk
    print(say(args.lang, "publish.done", program=publication.program, period=publication.period,
              version=publication.version, id=publication.id), file=sys.stderr)
    return 0


def run_publications(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office, print_json, table

    with open_office(args) as office:
        if args.program is not None:
            office.programs.get(args.program)
        found = office.publications.all(args.program)
    if args.json:
        print_json({"publications": [p.listing() for p in found]})
        return 0
    if not found:
        print(say(args.lang, "publish.list.none"))
        return 0
    header = tuple(say(args.lang, key) for key in (
        "cli.head.id", "publish.head.program", "publish.head.period", "publish.head.version",
        "cli.head.time", "publish.head.by", "publish.head.note"))
    rows = [(p.id, p.program, p.period, str(p.version), p.at[:16].replace("T", " "), p.office,
             p.note) for p in found]
    for line in table(header, rows, frozenset({3})):
        print(line)
    return 0
