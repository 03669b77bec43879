"""`vledger ui` (and `vledger` with no command, via tui/cli/main.py's fallback): open the UI.

`vledger ui --serve [HOST:PORT]` also serves the home from the start (a child `vledger
serve`, as the sync screen's key starts it), so a township's villages can sync while its
clerk works.
"""

from __future__ import annotations

import argparse
from typing import Any

from vledger.tui import memory

DEFAULT_LISTEN = "127.0.0.1:7420"  # as `vledger serve`


def register(sub: Any) -> None:
    ui = sub.add_parser("ui", help="open the terminal UI on this office",
                        description="Open the terminal UI on this office (the default).")
    ui.add_argument("--serve", nargs="?", const=DEFAULT_LISTEN, default=None,
                    metavar="HOST:PORT",
                    help="serve this office to its peers while the UI is open "
                         f"(default {DEFAULT_LISTEN})")
    ui.set_defaults(run=run_ui)


def run_ui(args: argparse.Namespace) -> int:
    return open_home(args)


def open_home(args: argparse.Namespace) -> int:
    """Run the UI on `args.home` in `args.lang` (tui/cli/demo.py calls this after a build);
    without --lang, in the language last chosen in this home's UI, if any (read by the app
    from the office it opens: the store is opened once).

    The garbage collector waits until the app has drawn its first screen (tui/memory.py
    says why), and at the latest until the app ends."""
    memory.hold()
    try:
        from vledger.tui.app import run_app

        remembered = not getattr(args, "lang_given", True)
        serve = getattr(args, "serve", None)
        if serve is not None:
            from vledger.errors import VledgerError
            from vledger.sync.services.sync import address_of

            try:
                address_of(serve)  # a bad HOST:PORT is refused before the screen opens
            except VledgerError:
                if remembered:  # said in the language the UI would have spoken
                    from vledger.sync.services.office import remembered_lang

                    args.lang = remembered_lang(args.home) or args.lang
                raise
        return run_app(args.home, args.lang, serve=serve, lang_remembered=remembered)
    finally:
        memory.resume()
