"""`vledger program ...`: program files (方案), shared/spec/cli.md.

`check` works on a file alone and needs no office. The publishing commands
(add, list, show) join the same `program` group as further actions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from vledger.errors import VledgerError
from vledger.messages import Message, say


def register(sub: Any) -> None:
    """Add the `program` group and its actions to the top-level subparsers `sub`."""
    group = sub.add_parser("program", help="program files (方案): check, publish, list")
    group.set_defaults(run=_group_usage(group))
    actions = group.add_subparsers(dest="program_command", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate a program file",
        description="Validate a program file; print FILE:LINE: message for each problem.",
    )
    check.add_argument("file", metavar="FILE", help="the program's .toml file")
    check.set_defaults(run=run_check)

    add = actions.add_parser(
        "add", help="validate and publish a program file (township only)",
        description="Validate a program file and publish it to every office "
        "(replaces a published program with the same id).",
    )
    add.add_argument("file", metavar="FILE", help="the program's .toml file")
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", help="the published programs")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=run_list)
    show = actions.add_parser("show", help="one program: periods, columns, indicators, items")
    show.add_argument("id", metavar="ID", help="the program's id")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(run=run_show)


def _group_usage(group: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        from vledger.errors import EXIT_USAGE

        group.print_help(sys.stderr)
        return EXIT_USAGE

    return usage


def read_program_text(file: str) -> str:
    """The text of a program file as UTF-8; a refusal naming `file` as typed when it can't be read.

    A UTF-8 byte-order mark is dropped: Windows Notepad writes one, TOML forbids it,
    and it would otherwise be reported as a baffling syntax error on line 1.
    """
    path = Path(file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VledgerError(Message("cli.file.missing", file=file)) from None
    except IsADirectoryError:
        raise VledgerError(Message("cli.file.is-folder", file=file)) from None
    except OSError as error:
        why = error.strerror or str(error)
        raise VledgerError(Message("cli.file.unreadable", file=file, why=why)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise VledgerError(
            Message("cli.file.not-utf8", file=file, line=line, byte=error.start)
        ) from None


def run_check(args: argparse.Namespace) -> int:
    from vledger.domain.program_file import load_program

    text = read_program_text(args.file)
    program = load_program(text, args.file)  # a ProgramError lists every problem by line
    items, periods = len(program.items), len(program.periods)
    print(say(args.lang, "cli.program.ok", file=args.file, items=items, periods=periods))
    return 0


def run_add(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office

    text = read_program_text(args.file)
    with open_office(args) as office:
        program = office.programs.add(text, args.file)
    print(f"{program.id}: {program.title}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office, print_json, table

    with open_office(args) as office:
        programs = office.programs.all()
        current = {p.id: office.programs.current_period(p) for p in programs}
    if args.json:
        print_json({"programs": [
            {"id": p.id, "title": p.title, "year": p.year,
             "periods": [q.id for q in p.periods], "current_period": current[p.id]}
            for p in programs
        ]})
        return 0
    header = tuple(
        say(args.lang, key) for key in ("cli.head.id", "cli.head.title", "cli.head.year",
                                        "cli.head.periods")
    )
    rows = [(p.id, p.title, str(p.year), " ".join(q.id for q in p.periods)) for p in programs]
    for line in table(header, rows):
        print(line)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from vledger.tui.cli.offices import open_office, print_json

    with open_office(args) as office:
        program = office.programs.get(args.id)
    if args.json:
        print_json(program_json(program))
        return 0
    for line in describe_program(program, args.lang):
        print(line)
    return 0


def _num(value: Any) -> str:
    from vledger.domain.decimals import format_number

    return format_number(value)


def program_json(program: Any) -> dict[str, Any]:
    """A program's parts as `program show --json` prints them, decimals as strings."""
    return {
        "id": program.id,
        "title": program.title,
        "year": program.year,
        "date_column": program.date_column,
        "periods": [
            {"id": p.id, "title": p.title, "start": p.start.isoformat(),
             "end": p.end.isoformat(), "share": None if p.share is None else _num(p.share)}
            for p in program.periods
        ],
        "columns": [
            {"id": c.id, "title": c.title, "type": c.type, "required": c.required,
             **({"choices": list(c.choices)} if c.choices else {})}
            for c in program.columns
        ],
        "indicators": [
            {"id": i.id, "title": i.title, "kind": i.kind, "unit": i.unit}
            for i in program.indicators
        ],
        "items": [
            {"id": i.id, "title": i.title, "section": i.section, "points": _num(i.points),
             "rule": i.rule, "indicator": i.indicator,
             "rule_text": rule_text(i, "en"), "rule_text_zh": rule_text(i, "zh")}
            for i in program.items
        ],
        "adjustments": [
            {"id": a.id, "title": a.title, "points": _num(a.points)} for a in program.adjustments
        ],
    }


def rule_text(item: Any, lang: str) -> str:
    """An item's rule in words, with its numbers."""
    return _rule_words(item).text(lang)


def _rule_words(item: Any) -> Message:
    P, b, pen = _num(item.points), _num(item.bonus), _num(item.penalty)
    level: Message | str = (
        Message("cli.rule.level-target") if item.threshold is None else _num(item.threshold)
    )
    over: Message | str = Message("cli.rule.bonus-over", bonus=b) if item.bonus else ""
    words = {
        "proportional": lambda: Message("cli.rule.proportional", points=P, over=over),
        "linear": lambda: Message("cli.rule.linear", points=P, bonus=b, penalty=pen),
        "threshold": lambda: Message(
            "cli.rule.threshold", points=P, level=level, bonus=b, penalty=pen
        ),
        "full_at": lambda: Message("cli.rule.full-at", points=P, level=level),
        "per_event": lambda: Message("cli.rule.per-event", points=P, penalty=pen),
        "check": lambda: Message("cli.rule.check", points=P),
        "manual": lambda: Message("cli.rule.manual", points=P),
    }
    rule = words[item.rule]()
    bounds = []
    if item.max is not None:
        bounds.append(Message("cli.rule.at-most", points=_num(item.max)))
    if item.min:
        bounds.append(Message("cli.rule.at-least", points=_num(item.min)))
    elif item.rule in ("linear", "threshold", "per_event"):
        bounds.append(Message("cli.rule.floor"))
    return Message("cli.rule.bounded", rule=rule, bounds=bounds) if bounds else rule


def describe_program(program: Any, lang: str) -> list[str]:
    """`program show` as text: title, periods, columns, indicators, items with their rules."""
    from vledger.tui.cli.offices import table

    lines = [f"{program.id}  {program.title}  ({program.year})", ""]
    lines.append(say(lang, "cli.program.periods"))
    rows: list[tuple[str, ...]] = [
        (p.id, p.title, f"{p.start.isoformat()} – {p.end.isoformat()}",
         "" if p.share is None else say(lang, "cli.program.share", share=_num(p.share)))
        for p in program.periods
    ]
    lines += ["  " + line for line in table(None, rows)]
    lines += ["", say(lang, "cli.program.columns")]
    rows = [
        (c.id, c.title, c.type + (" *" if c.required else ""),
         " / ".join(c.choices)) for c in program.columns
    ]
    lines += ["  " + line for line in table(None, rows)]
    lines += ["", say(lang, "cli.program.indicators")]
    rows = [(i.id, i.title, i.kind, i.unit) for i in program.indicators]
    lines += ["  " + line for line in table(None, rows)]
    lines += ["", say(lang, "cli.program.items")]
    rows = [
        (i.id, i.title, say(lang, "cli.program.points", points=_num(i.points)), i.indicator or "",
         rule_text(i, lang))
        for i in program.items
    ]
    lines += ["  " + line for line in table(None, rows)]
    if program.adjustments:
        lines += ["", say(lang, "cli.program.adjustments")]
        rows = [(a.id, a.title, _num(a.points)) for a in program.adjustments]
        lines += ["  " + line for line in table(None, rows)]
    return lines
