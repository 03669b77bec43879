"""`vledger init`, `office add|list`, `whoami` (shared/spec/cli.md, Offices).

Also the helpers every command module uses: `open_office(args)` opens this home's
office (its services' refusals reach tui/cli/main.py, which prints them and exits 1),
and `print_json(data)` prints one JSON document with decimals as strings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vledger.messages import say

if TYPE_CHECKING:
    from vledger.sync.services.office import Office


def open_office(args: argparse.Namespace) -> Office:
    """This home's office (a refusal telling the user to init or join when there is none)."""
    from vledger.sync.services.office import Office

    lang = getattr(args, "lang", "en")
    office = Office.open(args.home, lang=lang)
    for line in office.damage:
        print(say(lang, "cli.warning", text=neutral(line)), file=sys.stderr)
    return office


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON")


def print_json(data: Any) -> None:
    """One JSON document on stdout; decimals as strings, Chinese kept readable."""
    print(json.dumps(data, ensure_ascii=False, indent=1, default=_default))


def register(sub: Any) -> None:
    init = sub.add_parser(
        "init", help="make this home the township office of a new township",
        description="Make this home the township office of a new township; print its id.",
    )
    init.add_argument("--township", required=True, metavar="NAME", help="the township's name")
    init.add_argument("--id", metavar="ID", help="the township's id (default: a new random one)")
    init.add_argument("--year", type=int, metavar="YEAR",
                      help="the year whose documents this office keeps (default: this year)")
    init.set_defaults(run=run_init)

    office = sub.add_parser("office", help="the roster of offices")
    office.set_defaults(run=_usage(office))
    actions = office.add_subparsers(dest="office_command", metavar="ACTION")
    add = actions.add_parser("add", help="add a village office (township only)")
    add.add_argument("id", metavar="ID", help="the village's id, like v01")
    add.add_argument("name", metavar="NAME", help="the village's name")
    add.add_argument("--area", metavar="AREA", help="the area (管区) it belongs to")
    add.set_defaults(run=run_office_add)
    listing = actions.add_parser("list", help="the roster: id, name, area, kind")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_office_list)

    whoami = sub.add_parser("whoami", help="this office, its township, its device")
    whoami.add_argument("--json", action="store_true", help="print JSON")
    whoami.set_defaults(run=run_whoami)


def _usage(parser: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        from vledger.errors import EXIT_USAGE

        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return usage


def run_init(args: argparse.Namespace) -> int:
    from vledger.sync.services.homes import init_township

    with init_township(args.home, args.township, args.id, year=args.year,
                       lang=args.lang) as office:
        print(office.me.township)
    return 0


def run_office_add(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        record = office.roster.add_office(args.id, args.name, args.area)
    print(record.id)
    return 0


def run_office_list(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        offices = office.roster.offices()
    if args.json:
        print_json({"offices": [o.to_json_dict() for o in offices]})
        return 0
    kinds = office_kinds(args.lang)
    header = tuple(say(args.lang, key) for key in ("cli.head.id", "cli.head.name",
                                                   "cli.head.area", "cli.head.kind"))
    rows = [(o.id, o.name, o.area or "", kinds.get(o.kind, o.kind)) for o in offices]
    for line in table(header, rows):
        print(line)
    return 0


def run_whoami(args: argparse.Namespace) -> int:
    with open_office(args) as office:
        me = office.roster.whoami()
    if args.json:
        print_json(me.to_json_dict())
        return 0
    lang = args.lang
    kind = office_kinds(lang).get(me.kind, me.kind)
    lines = (
        (say(lang, "cli.head.office"), f"{me.office} {me.office_name} ({kind})"),
        (say(lang, "cli.head.township"), f"{me.township} {me.township_name}"),
        (say(lang, "cli.head.year"), str(me.year)),
        (say(lang, "cli.head.device"), me.device),
        (say(lang, "cli.head.user"), me.user),
        (say(lang, "cli.head.home"), str(me.home)),
    )
    for line in table(None, lines):
        print(line)
    return 0


def office_kinds(lang: str) -> dict[str, str]:
    """The roster's kinds of office as a clerk calls them."""
    return {"township": say(lang, "cli.kind.township"), "village": say(lang, "cli.kind.village")}


# -- plain text tables that line up with Chinese text -------------------------------------


def neutral(text: str) -> str:
    """Text from documents (names, cells, reasons) made inert for a terminal: control
    characters and bidi overrides shown as escapes, line breaks as ↵ (domain/values.py)."""
    from vledger.domain.values import visible

    return visible(text)


def cell_width(text: str) -> int:
    """Columns a string takes on a terminal (CJK characters take two)."""
    from rich.cells import cell_len

    return cell_len(text)


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - cell_width(text))
    return gap + text if right else text + gap


def table(
    header: tuple[str, ...] | None,
    rows: Iterable[tuple[str, ...]],
    right: frozenset[int] = frozenset(),
) -> list[str]:
    """Lines of a table; columns whose index is in `right` are right-aligned (numbers).
    Every cell is made inert (`neutral`): a table shows what documents hold."""
    everything = [tuple(neutral(c) for c in row)
                  for row in ([header] if header else []) + list(rows)]
    if not everything:
        return []
    widths = [max(cell_width(r[i]) for r in everything) for i in range(len(everything[0]))]
    lines = []
    for n, row in enumerate(everything):
        cells = [pad(c, widths[i], i in right) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if header and n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines
