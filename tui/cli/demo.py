"""`vledger demo [--villages N] [--rows N] [--seed S] [--no-ui] [--home DIR]` (cli.md).

Builds the bundled sample township 青石乡 (fixtures/generate.py) through the same
write path as a clerk would: init, offices, programs, the township's sheets (as CSV
files imported like `sheet import`), and each village's rows per program as raw text,
one transaction per village and program. Progress goes to stderr: a bar on a
terminal, plain lines otherwise.

Without `--no-ui` the demo will open the UI on the new office; until the UI lands it
says where the demo is and how to rank it. Without `--home` it goes to a new folder
in the user cache dir, so a demo never touches the real office.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from vledger.messages import Message, say

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable


def register(sub: Any) -> None:
    demo = sub.add_parser(
        "demo", help="build the sample township and open it",
        description="Build the bundled sample township 青石乡 as a township office.",
    )
    demo.add_argument("--villages", type=int, default=12, metavar="N", help="villages (12)")
    demo.add_argument("--rows", type=int, default=200, metavar="N",
                      help="ledger rows per village and program (200)")
    demo.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (1)")
    demo.add_argument("--no-ui", action="store_true", help="build it, do not open the UI")
    demo.add_argument("--home", dest="demo_home", type=Path, metavar="DIR",
                      help="where to build it (must be empty; default: a new cache folder)")
    demo.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from vledger.errors import VledgerError
    from vledger.tui.cli.main import default_home

    if args.villages < 1 or args.rows < 0:
        raise VledgerError(Message("cli.demo.bad-size"))
    home = args.demo_home
    if home is None and Path(args.home) != default_home():
        home = Path(args.home)  # `vledger --home DIR demo`
    if home is None:
        home = new_cache_home()
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise VledgerError(Message("cli.demo.not-empty", home=home))
    build_demo(home, args.villages, args.rows, args.seed, lang=args.lang)
    args.home = home
    if args.no_ui:
        print(home)
        return 0
    opened = _open_ui(args)
    if opened is not None:
        return opened
    print(say(args.lang, "cli.demo.where", home=home))
    print(say(args.lang, "cli.demo.rank-it", command=f"vledger --home {home} rank safety-2026"))
    return 0


def _open_ui(args: argparse.Namespace) -> int | None:
    """Open the UI on the demo when the UI's command exists (tui/cli/ui.py), else None."""
    try:
        from vledger.tui.cli import ui as cli_ui
    except ModuleNotFoundError:
        return None
    opener = getattr(cli_ui, "open_home", None)
    if opener is None:
        return None
    result: int | None = opener(args)
    return result


def new_cache_home() -> Path:
    from platformdirs import user_cache_dir

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(user_cache_dir("vledger"))
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"demo-{stamp}-", dir=base))


def build_demo(
    home: Path, villages: int, rows: int, seed: int, *, lang: str = "en",
    out: TextIO | None = None,
) -> None:
    """Build the sample township in `home` through the office's services."""
    from vledger.fixtures.generate import generate_township, write_csv
    from vledger.sync.services.homes import init_township

    township = generate_township(villages, rows, seed)
    programs = list(township.programs.values())
    year = programs[0].program.year
    steps = 1 + len(programs) * (1 + len(township.offices))
    progress = Progress(steps, out or sys.stderr, lang)
    with init_township(home, township.name, "qingshi", year=year, lang=lang) as office:
        for record in township.offices:
            office.roster.add_office(record.id, record.name, record.area)
        progress.step(say(lang, "cli.demo.offices"))
        with tempfile.TemporaryDirectory(prefix="vledger-demo-") as folder:
            write_csv(township, Path(folder))
            for data in programs:
                program = data.program
                path = _program_path(program.id)
                office.programs.add(path.read_text(encoding="utf-8"), path.name)
                for kind in ("targets", "entered", "manual", "adjustments"):
                    office.sheets.import_csv(program.id, kind,
                                             Path(folder) / program.id / f"{kind}.csv")
                progress.step(program.id)
                for village, ledger in data.ledgers.items():
                    office.ledgers.session(program.id, village, writing=True).add_rows(ledger)
                    office.ledgers.release(village)
                    progress.step(f"{program.id} {village}")
    progress.done()


def _program_path(program_id: str) -> Traversable:
    from vledger.fixtures.township import program_paths, program_stem

    for path in program_paths():
        if program_stem(path) == program_id:
            return path
    raise FileNotFoundError(program_id)


class Progress:
    """A bar redrawn in place on a terminal; one plain line per step otherwise."""

    def __init__(self, total: int, out: TextIO, lang: str) -> None:
        self.total = total
        self.count = 0
        self.out = out
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self.word = say(lang, "cli.demo.progress")
        self.write: Callable[[str], Any] = out.write

    def step(self, what: str) -> None:
        self.count += 1
        if self.tty:
            filled = 30 * self.count // self.total
            bar = "█" * filled + "·" * (30 - filled)
            self.write(f"\r{self.word} [{bar}] {self.count}/{self.total} {what[:30]:<30}")
        else:
            self.write(f"{self.word}: {self.count}/{self.total} {what}\n")
        self.out.flush()

    def done(self) -> None:
        if self.tty:
            self.write("\n")
            self.out.flush()
