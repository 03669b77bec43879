"""The `vledger` command line (shared/spec/cli.md).

This module only builds the argument parser and turns a `VledgerError` into its lines
on stderr (a catalogue message in the `--lang` language) and its exit code (1 refused,
3 unreachable); argparse ends wrong usage with 2. Any other exception is a bug and ends
in a traceback. Each command group lives in its own module of tui/cli/ with a
`register(sub)` function, so the UI can start without importing every command.
"""

from __future__ import annotations

import argparse
import importlib
import locale
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from vledger import __version__
from vledger.errors import EXIT_OK, EXIT_USAGE, VledgerError
from vledger.messages import localize

UI_MODULE = "vledger.tui.cli.ui"
# Command groups, in the order `vledger --help` lists them. A group that is not
# written yet is simply absent from the parser.
COMMAND_MODULES = (
    "vledger.tui.cli.offices",
    "vledger.tui.cli.identity",
    "vledger.tui.cli.program",
    "vledger.tui.cli.sheet",
    "vledger.tui.cli.ledger",
    "vledger.tui.cli.rank",
    "vledger.tui.cli.publish",
    "vledger.tui.cli.history",
    "vledger.tui.cli.sync",
    "vledger.tui.cli.recover",
    "vledger.tui.cli.demo",
    UI_MODULE,
)


Handler = Callable[[argparse.Namespace], int | None]


# Chinese Windows names its locale 'Chinese (Simplified)_China' or 'Chinese_China.936'
# (code page 936 is GBK; 950 Big5, 54936 GB18030), where POSIX says 'zh_CN.UTF-8'.
_CHINESE_CODE_PAGES = (".936", ".950", ".54936")


def lang_of_locale(name: str) -> str | None:
    """"zh" or "en" for a locale name of any platform; None when it names none."""
    name = name.strip().lower()
    if not name or name in ("c", "posix"):
        return None if not name else "en"
    if name.startswith(("zh", "chinese")) or name.endswith(_CHINESE_CODE_PAGES):
        return "zh"
    return "en"


def default_lang() -> str:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        found = lang_of_locale(os.environ.get(name, ""))
        if found:
            return found
    for ask in (_locale_name, _windows_ui_locale):
        found = lang_of_locale(ask())
        if found:
            return found
    return "en"


def _locale_name() -> str:
    try:
        return locale.getlocale()[0] or ""
    except ValueError:  # an environment naming a locale Python does not know
        return ""


def _windows_ui_locale() -> str:
    """The Windows display language's name ('zh-CN'), where the environment has none."""
    import ctypes

    windll: Any = getattr(ctypes, "windll", None)  # Windows only
    if windll is None:
        return ""
    buffer = ctypes.create_unicode_buffer(85)
    if windll.kernel32.GetUserDefaultLocaleName(buffer, len(buffer)):
        return str(buffer.value)
    return ""


def default_home() -> Path:
    env = os.environ.get("VLEDGER_HOME")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    # appauthor=False: on Windows the home is ...\AppData\Local\vledger, not the
    # ...\vledger\vledger platformdirs makes of an author named like the app.
    return Path(user_data_dir("vledger", appauthor=False))


def never_fail_on_output() -> None:
    """A console or redirect that cannot hold every character (a Chinese Windows console
    is GBK, code page 936) gets what it can and "?" for the rest, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "strict") == "strict":
            reconfigure(errors="replace")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # wrong usage: exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"vledger: {message}\n")


_GLOBAL_VALUES = ("--home", "--lang")  # the options before a command that take a value


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    """The whole command line; with `modules`, only those groups' commands (`main` builds
    no more than `needed_modules` says)."""
    parser = _Parser(prog="vledger", description="Township work ledgers and ranking sheets.")
    parser.add_argument("--home", type=Path, default=None, help="this office's folder")
    parser.add_argument("--lang", choices=("zh", "en"), default=None, help="interface language")
    parser.add_argument("--version", action="version", version=f"vledger {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    _accept_globals_anywhere(parser)
    return parser


def needed_modules(argv: Sequence[str]) -> Sequence[str]:
    """The command groups a parser for `argv` needs: only the UI's when it opens the UI
    (`vledger`, `vledger --home H ui --serve`), which every clerk's start pays for;
    else all of them. Only the command word decides, and in the UI's case the parser
    built is the whole one without the other groups, so it reads `argv` alike (the top
    level's usage names no command) and says the same about any mistake in it."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word in _GLOBAL_VALUES:
            at += 2
        elif word.startswith(tuple(f"{option}=" for option in _GLOBAL_VALUES)):
            at += 1
        else:
            break
    if at >= len(argv) or argv[at] == "ui":
        return (UI_MODULE,)
    return COMMAND_MODULES


def _accept_globals_anywhere(parser: argparse.ArgumentParser) -> None:
    """Let `vledger rank P --lang zh` work as well as `vledger --lang zh rank P`.

    Clerks type options where they remember them; SUPPRESS keeps a sub-command's
    copy from overwriting a value given before the command.
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in set(action.choices.values()):
            known = {o for a in child._actions for o in a.option_strings}
            if "--home" not in known:
                child.add_argument("--home", type=Path, default=argparse.SUPPRESS,
                                   help=argparse.SUPPRESS)
            if "--lang" not in known:
                child.add_argument("--lang", choices=("zh", "en"), default=argparse.SUPPRESS,
                                   help=argparse.SUPPRESS)
            _accept_globals_anywhere(child)


def main(argv: Sequence[str] | None = None) -> int:
    never_fail_on_output()
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(needed_modules(words))
    args = parser.parse_args(words)
    if args.home is None:
        args.home = default_home()
    args.lang_given = args.lang is not None  # the UI may start in the home's remembered one
    if args.lang is None:
        args.lang = default_lang()
    run: Handler | None = getattr(args, "run", None)
    if run is None:
        if args.command is None and "ui" in _registered(parser):
            return main([*(argv or sys.argv[1:]), "ui"])
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return run(args) or EXIT_OK
    except VledgerError as refusal:
        for problem in refusal.problems:  # a catalogue message says itself in --lang
            print(localize(problem, args.lang), file=sys.stderr)
        return refusal.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `vledger history | head`: the reader left; that is not an error of ours.
        sys.stderr.close()
        return EXIT_OK


def _registered(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()

