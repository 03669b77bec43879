"""`vledger ui` (and `vledger` with no command, via tui/cli/main.py's fallback): open the UI."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    ui = sub.add_parser("ui", help="open the terminal UI on this office",
                        description="Open the terminal UI on this office (the default).")
    ui.set_defaults(run=run_ui)


def run_ui(args: argparse.Namespace) -> int:
    return open_home(args)


def open_home(args: argparse.Namespace) -> int:
    """Run the UI on `args.home` in `args.lang` (tui/cli/demo.py calls this after a build);
    without --lang, in the language last chosen in this home's UI, if any."""
    from vledger.tui.app import run_app

    if not getattr(args, "lang_given", True):
        from vledger.sync.services.office import remembered_lang

        args.lang = remembered_lang(args.home) or args.lang
    return run_app(args.home, args.lang)
