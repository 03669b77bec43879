"""How the UI feels on this machine: start-up, keypress latency, memory.

    python -m bench.tui [--villages N] [--rows N] [--keys N] [--runs N]

1. Start-up: wall time from starting `vledger ui` on a demo home until its home screen shows
   the township (read from a real terminal, tmux), as a ratio to `python -c "import textual"`
   and to a bare Textual app showing one line in the same terminal, measured in the same
   run: the part of start-up that is ours.
2. Keypress-to-screen-update latency (p50, p95) moving and editing in a 20,000-row ledger,
   against one 60 Hz frame (bench/tui_grid.py, the grid the ledger screen uses).
3. Resident memory of the UI process with the demo township open on its ranking sheet.

Needs tmux for 1 and 3 (they say so and are skipped without it).
"""

from __future__ import annotations

import argparse
import asyncio
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
        self.started = time.perf_counter()
        subprocess.run(["tmux", "-u", "new-session", "-d", "-s", self.name, "-x", "100",
                        "-y", "30", shlex.join(command)], check=True, cwd=REPO)

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


def startup_and_memory(home: Path, runs: int) -> list[str]:
    # Bytecode as an installed package has it: with PYTHONDONTWRITEBYTECODE set (some
    # shells, CI) every start would compile our modules again, which no clerk pays.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "tui", "sync", "domain"],
                   cwd=REPO, check=False, capture_output=True)
    textual = [seconds([sys.executable, "-c", "import textual"]) for _ in range(runs)]
    bare: list[float] = []
    for _ in range(runs):
        pane = Pane(None)
        try:
            bare.append(pane.wait_for(home_shown))
        finally:
            pane.close()
    ui: list[float] = []
    rss = 0
    for i in range(runs):
        pane = Pane(home)
        try:
            ui.append(pane.wait_for(home_shown))
            if i == runs - 1:
                pane.keys("r")
                pane.wait_for(lambda s: s.lstrip().startswith("Ranking ·") and "┃" in s)
                time.sleep(1.0)  # let the first sheet's thread finish and settle
                rss = pane.rss_kib()
        finally:
            pane.close()
    base, mine = statistics.median(textual), statistics.median(ui)
    empty = statistics.median(bare)
    return [
        f"python -c 'import textual'   median {base * 1000:7.0f} ms over {runs} runs",
        f"bare Textual app on screen   median {empty * 1000:7.0f} ms over {runs} runs",
        f"vledger ui / bare app        ratio  {mine / empty:7.2f}×",
        f"vledger ui to home screen    median {mine * 1000:7.0f} ms  "
        f"(ratio {mine / base:5.1f}× import textual; runs: "
        + ", ".join(f"{s * 1000:.0f}" for s in ui) + " ms)",
        f"RSS with the demo township open on its ranking sheet: {rss / 1024:6.1f} MiB",
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=12, help="demo villages")
    parser.add_argument("--rows", type=int, default=20_000, help="ledger rows for latency")
    parser.add_argument("--keys", type=int, default=100, help="presses per latency scenario")
    parser.add_argument("--runs", type=int, default=3, help="start-ups to time")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    if shutil.which("tmux") is None:
        print("start-up and RSS: skipped, tmux is not installed")
    else:
        with tempfile.TemporaryDirectory(prefix="vledger-bench-") as tmp:
            home = Path(tmp) / "demo"
            started = time.perf_counter()
            build_demo(home, args.villages)
            print(f"demo township of {args.villages} villages built in "
                  f"{time.perf_counter() - started:.1f} s")
            for line in startup_and_memory(home, args.runs):
                print(line)
    from bench.tui_grid import run

    for line in asyncio.run(run(args.rows, args.keys)):
        print(line)


if __name__ == "__main__":
    main()
