"""How the UI feels on this machine: start-up, keypress latency, memory.

    python -m bench.tui [--villages N] [--runs N] [--big-villages N] [--big-rows N]

1. Start-up: wall time from starting `vledger ui` until its home screen shows the township
   (read from a real terminal, tmux), as a ratio to a bare Textual app showing one line in
   the same terminal, measured in the same run: the part of start-up that is ours. On the
   township home of bench.store (`--big-villages` x `--big-rows`, its cached build):
   `tui.first_screen_vs_bare` (goal <= 1.5); and on the demo township:
   `tui.first_screen_vs_bare_demo` (same goal). `python -c "import textual"` for scale.
2. Resident memory of the UI process with the demo township open on its ranking sheet.

Keypress latency is bench/tui_grid.py (`tui.move_p95_ms`, `tui.edit_commit_p95_ms`), and
under a sync burst bench/tui_burst.py.

Needs tmux for 1 and 3 (they say so and are skipped without it).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / ".venv" / "bin" / "vledger"
TIMEOUT = 180.0


def vledger() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "vledger"]


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=REPO, capture_output=True)
    return time.perf_counter() - start


def build_demo(home: Path, villages: int) -> None:
    subprocess.run([*vledger(), "--home", str(home), "demo", "--villages", str(villages),
                    "--no-ui"], check=True, cwd=REPO, capture_output=True)


class Pane:
    """The UI running in a detached tmux session of 100×30 (killed on close)."""

    def __init__(self, home: Path | None) -> None:
        self.name = f"vledger-bench-{uuid.uuid4().hex[:8]}"
        app = ([*vledger(), "--home", str(home), "--lang", "en", "ui"] if home is not None
               else [sys.executable, "-c", BARE_APP])
        command = ["env", "-u", "COLUMNS", "-u", "LINES", *app]
        for _attempt in range(3):  # another tmux client may be stopping the server just now
            self.started = time.perf_counter()
            started = subprocess.run(["tmux", "-u", "new-session", "-d", "-s", self.name, "-x",
                                      "100", "-y", "30", shlex.join(command)], cwd=REPO,
                                     capture_output=True, text=True)
            if started.returncode == 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"tmux did not start a session: {started.stderr.strip()}")

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True).stdout

    def wait_for(self, check: Callable[[str], bool]) -> float:
        """Seconds since the session started until `check` holds for the pane."""
        while time.perf_counter() - self.started < TIMEOUT:
            if check(self.screen()):
                return time.perf_counter() - self.started
            time.sleep(0.01)
        raise TimeoutError(f"the UI did not show what was expected:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def rss_kib(self) -> int:
        pid = subprocess.run(["tmux", "display", "-p", "-t", self.name, "#{pane_pid}"],
                             capture_output=True, text=True).stdout.strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS for the UI process")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


# The least a Textual app does before its first screen: the yardstick for our start-up.
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Static
class Bare(App):
    def compose(self):
        yield Static("Programs Office:")
        yield Footer()
Bare().run()
"""


def home_shown(screen: str) -> bool:
    return "Programs" in screen and "Office:" in screen


FIRST_SCREEN_GOAL = 1.5  # times a bare Textual app


PACKAGE_FOLDERS = ("vledger", "tui", "sync", "domain", "fixtures")


def compiled() -> None:
    # Bytecode as an installed package has it: with PYTHONDONTWRITEBYTECODE set (some
    # shells, CI) every start would compile our modules again, which no clerk pays. Every
    # folder the package is made of: vledger/ (the catalogue, errors) is read at every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGE_FOLDERS],
                   cwd=REPO, check=False, capture_output=True)


def first_screens(home: Path | None, runs: int, *, memory: bool = False) -> tuple[list[float], int]:
    """Seconds until the home screen shows, per run (`home` None: the bare app); and, with
    `memory`, the UI's RSS (KiB) on the ranking sheet after the last run."""
    shown: list[float] = []
    rss = 0
    for i in range(runs):
        pane = Pane(home)
        try:
            shown.append(pane.wait_for(home_shown))
            if memory and i == runs - 1:
                pane.keys("r")
                pane.wait_for(lambda s: s.lstrip().startswith("Ranking ·") and "┃" in s)
                time.sleep(1.0)  # let the first sheet's thread finish and settle
                rss = pane.rss_kib()
        finally:
            pane.close()
    return shown, rss


def startup(homes: dict[str, Path], runs: int) -> list[str]:
    """First screens of each home and of the bare app, interleaved run by run (the machine
    is noisy: whatever else runs meanwhile falls on all of them alike)."""
    from bench.report import measure

    compiled()
    textual = [seconds([sys.executable, "-c", "import textual"]) for _ in range(runs)]
    bare: list[float] = []
    ui: dict[str, list[float]] = {name: [] for name in homes}
    rss = 0
    for n in range(runs):
        bare += first_screens(None, 1)[0]
        for name, home in homes.items():
            found, kib = first_screens(home, 1, memory=name == "demo" and n == runs - 1)
            ui[name] += found
            rss = kib or rss
    base, empty = statistics.median(textual), statistics.median(bare)
    lines = [
        f"python -c 'import textual'   median {base * 1000:7.0f} ms over {runs} runs",
        f"bare Textual app on screen   median {empty * 1000:7.0f} ms over {runs} runs "
        "(runs: " + ", ".join(f"{s * 1000:.0f}" for s in bare) + " ms)",
    ]
    for name, shown in ui.items():
        mine = statistics.median(shown)
        lines += [f"vledger ui, {name:<14} median {mine * 1000:7.0f} ms = {mine / empty:5.2f}× "
                  "the bare app (runs: " + ", ".join(f"{s * 1000:.0f}" for s in shown)
                  + " ms)"]
    lines.append(f"RSS with the demo township open on its ranking sheet: {rss / 1024:6.1f} MiB")
    for line in lines:
        print(line)
    for name, shown in ui.items():
        measure("tui.first_screen_vs_bare" + ("" if name != "demo" else "_demo"),
                statistics.median(shown), "s", baseline=empty, goal=FIRST_SCREEN_GOAL)
    return []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=12, help="demo villages")
    parser.add_argument("--runs", type=int, default=5, help="start-ups to time")
    parser.add_argument("--big-villages", type=int, default=60)
    parser.add_argument("--big-rows", type=int, default=2000, help="rows per village")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if shutil.which("tmux") is None:
        print("start-up and RSS: skipped, tmux is not installed")
    else:
        from bench.store import built_home

        cache = Path(tempfile.gettempdir()) / "vledger-bench-store"
        built, how = built_home(cache, args.big_villages, args.big_rows, 1, False)
        with tempfile.TemporaryDirectory(prefix="vledger-bench-") as tmp:
            home = Path(tmp) / "demo"
            started = time.perf_counter()
            build_demo(home, args.villages)
            print(f"demo township of {args.villages} villages built in "
                  f"{time.perf_counter() - started:.1f} s")
            big = Path(tmp) / "big"
            shutil.copytree(built / "home", big)
            print(f"township of {args.big_villages} x {args.big_rows:,} rows {how}")
            name = f"{args.big_villages}x{args.big_rows}"
            startup({name: big, "demo": home}, args.runs)


if __name__ == "__main__":
    main()
