"""`vledger recover [--from FILE]`: take back what a damaged database still holds.

When the store finds its database damaged it moves the file aside (`vledger.db.damaged-…`)
and says so; this command reads what that copy (or the file named with --from) still
holds into this home, over sync/services/recovery.py. What the damage lost is then one
sync away: the peers hold every change they synced.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vledger.messages import say


def register(sub: Any) -> None:
    recover = sub.add_parser(
        "recover", help="take back what a damaged database still holds",
        description="Read what a damaged database still holds into this home: by default "
        "the newest copy the store set aside (vledger.db.damaged-...), or FILE. "
        "Recovering twice changes nothing twice; then sync to get the rest from a peer.",
    )
    recover.add_argument("--from", dest="source", type=Path, metavar="FILE",
                         help="the damaged database to read (default: the newest set aside)")
    recover.set_defaults(run=run_recover)


def run_recover(args: argparse.Namespace) -> int:
    from vledger.sync.services.recovery import recover
    from vledger.tui.cli.offices import neutral

    done = recover(args.home, args.source)
    lang = args.lang
    print(say(lang, "cli.recover.done", source=str(done.source),
              changes=sum(done.documents.values()), documents=len(done.documents)))
    if done.settings:
        print(say(lang, "cli.recover.settings", keys=list(done.settings)))
    for problem in done.problems:
        print(say(lang, "cli.recover.problem", problem=neutral(problem)))
    print(say(lang, "cli.recover.next"))
    return 0
