"""`vledger program ...`: program files (方案), shared/spec/cli.md.

`check` works on a file alone and needs no office. The publishing commands
(add, list, show) join the same `program` group as further actions.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


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


def _group_usage(group: argparse.ArgumentParser) -> Any:
    def usage(args: argparse.Namespace) -> int:
        from tui.cli import EXIT_USAGE

        group.print_help(sys.stderr)
        return EXIT_USAGE

    return usage


def read_program_text(file: str) -> str:
    """The text of a program file as UTF-8; a refusal naming `file` as typed when it can't be read.

    A UTF-8 byte-order mark is dropped: Windows Notepad writes one, TOML forbids it,
    and it would otherwise be reported as a baffling syntax error on line 1.
    """
    from tui.cli import Refused

    path = Path(file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise Refused(f"{file}: no such file") from None
    except IsADirectoryError:
        raise Refused(f"{file}: is a folder, not a program file") from None
    except OSError as error:
        raise Refused(f"{file}: cannot read it ({error.strerror or error})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise Refused(
            f"{file}:{line}: not UTF-8 text (byte {error.start}); save the file as UTF-8"
        ) from None


def run_check(args: argparse.Namespace) -> int:
    from domain.program_file import ProgramError, load_program
    from tui.cli import Refused

    text = read_program_text(args.file)
    try:
        program = load_program(text, args.file)
    except ProgramError as error:
        raise Refused(*(str(problem) for problem in error.problems)) from None
    items = len(program.items)
    periods = len(program.periods)
    print(
        f"{args.file}: ok ({items} item{'s' * (items != 1)}, "
        f"{periods} period{'s' * (periods != 1)})"
    )
    return 0
