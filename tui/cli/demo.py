"""`vledger demo [--villages N] [--rows N] [--seed S] [--no-ui] [--home DIR]` (cli.md).

Builds the bundled sample township 青石乡 (fixtures/generate.py) through the same
write path as a clerk would: init, offices, programs, the township's sheets (as CSV
files imported like `sheet import`), and each village's rows per program as raw text,
one transaction per village and program. Progress goes to stderr: a bar on a
terminal, plain lines otherwise.

Without `--no-ui` the demo opens the UI on the office. Without `--home` it lives in one
remembered folder in the user cache dir (`demo_home()`), so a demo never touches the
real office, and the next `vledger demo` (or `make demo`) opens the same township with
the edits made in it before, saying where it is; `--fresh` builds it anew. The demo's
ledger rows are all dated in their program's year, so every row counts in a period.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
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
                      help="where to build it (must be empty; default: the remembered demo "
                      "folder in the user cache dir, reopened with its edits)")
    demo.add_argument("--fresh", action="store_true",
                      help="build the remembered demo anew, dropping the edits made in it")
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
        home = demo_home()
        if _reopen_or_clear(home, fresh=args.fresh):
            print(say(args.lang, "cli.demo.again", home=home), file=sys.stderr)
            return _open(args, home)
    if home.exists() and (not home.is_dir() or any(home.iterdir())):
        raise VledgerError(Message("cli.demo.not-empty", home=home))
    build_demo(home, args.villages, args.rows, args.seed, lang=args.lang, in_year=True)
    print(say(args.lang, "cli.demo.where", home=home), file=sys.stderr)
    return _open(args, home)


def _reopen_or_clear(home: Path, *, fresh: bool) -> bool:
    """Whether the remembered demo home holds the demo to open again; otherwise (or
    with `fresh`) it is cleared for a new build. Only this folder, which vledger made
    for the demo, is ever cleared."""
    import shutil

    from vledger.sync.services.office import Office

    if not home.exists():
        return False
    if not fresh and Office.exists(home):
        return True
    shutil.rmtree(home)
    return False


def _open(args: argparse.Namespace, home: Path) -> int:
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


def demo_home() -> Path:
    """The one folder `vledger demo` keeps its township in when given no --home."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vledger", appauthor=False)) / "demo"


def build_demo(
    home: Path, villages: int, rows: int, seed: int, *, lang: str = "en",
    out: TextIO | None = None, in_year: bool = False,
) -> None:
    """Build the sample township in `home` through the office's services. `in_year`:
    date every ledger row inside its program's year (the demo a person opens); without
    it a few rows fall just outside, as happens in real ledgers (tests rank those)."""
    from vledger.fixtures.generate import generate_township, write_csv
    from vledger.sync.services.homes import init_township

    township = generate_township(villages, rows, seed, outside_year=not in_year)
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
