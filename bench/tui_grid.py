"""Keypress-to-screen-update latency in a 20,000-row ledger, under Pilot.

    python -m bench.tui_grid [--rows N] [--keys N]

A key's latency runs from handing the key to the app until the next screen update has been
composed and turned into terminal output (headless, so nothing is written). Textual paces
screen updates to its frame rate, so one 60 Hz frame (16.7 ms) is the floor to compare with.

1. The grid alone over an in-memory model (what the grid itself costs; printed only).
2. The app as the clerk has it: `VLedgerApp` on a township home whose village ledger holds
   `--rows` rows, its ledger screen open (rows through the office's worker, edits stored
   by it). Moving (arrow keys) and editing (a digit opens the editor, Enter commits and
   moves down), with the full garbage collections that fell in the middle of the keys counted
   (gc.callbacks). Run twice on the same home, each in a fresh process: first as the app
   was before (Textual's own footer, which kept every key it replaced, and no memory
   settling), then as it is now (tui/textual_compat.py `mend_footer`, tui/memory.py), so
   what they save is measured in the same run. Measures, with "before" as the baseline:
   `tui.move_p95_ms` and `tui.edit_commit_p95_ms` (the Enter that commits), goal one frame.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from textual.app import App, ComposeResult
from textual.screen import Screen

from vledger.domain.program import Program
from vledger.domain.program_file import load_program
from vledger.tui.grid.model import MemoryLedgerModel
from vledger.tui.grid.view import Grid

FRAME_MS = 1000 / 60
REPO = Path(__file__).resolve().parent.parent
PROGRAM = Path(__file__).resolve().parent.parent / "fixtures" / "programs" / "safety-2026.toml"
EXAMPLE = Path("/work/shared/examples/safety-2026.toml")


def safety_program() -> Program:
    path = PROGRAM if PROGRAM.exists() else EXAMPLE
    return load_program(path.read_text(encoding="utf-8"), path.name)


def ledger(rows: int) -> MemoryLedgerModel:
    program = safety_program()
    kinds = program.column("kind").choices
    data = (
        {"date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "kind": kinds[i % 4],
         "participants": i % 97, "note": f"第{i}条 安全宣传进村入户"}
        for i in range(rows)
    )
    return MemoryLedgerModel(program, data)


class BenchApp(App[None]):
    def __init__(self, model: MemoryLedgerModel) -> None:
        super().__init__()
        self.model = model
        self.updates: list[float] = []

    def compose(self) -> ComposeResult:
        yield Grid(self.model, id="ledger")

    def on_mount(self) -> None:
        self.query_one(Grid).focus()

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(self.console)  # what a real terminal would be sent
            self.updates.append(time.perf_counter())
        super()._display(screen, renderable)


async def timed_press(app: Any, pilot: object, key: str, seconds: float = 2.0) -> float:
    """Milliseconds from the key press to the first screen update after it (`app` keeps
    the times of its updates in `updates`, as BenchApp does)."""
    start = time.perf_counter()
    await pilot.press(key)  # type: ignore[attr-defined]
    deadline = start + seconds
    while time.perf_counter() < deadline:
        after = [t for t in app.updates[-8:] if t > start]
        if after:
            return (after[0] - start) * 1000
        await asyncio.sleep(0.001)
    raise RuntimeError(f"no screen update within {seconds:g} s after {key!r}")


def summary(name: str, samples: Sequence[float], lines: float) -> str:
    p50 = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)
    return (
        f"{name:<22} n={len(samples):<4} p50 {p50:6.1f} ms ({p50 / FRAME_MS:4.2f} frames)  "
        f"p95 {p95:6.1f} ms ({p95 / FRAME_MS:4.2f} frames)  render_line/key {lines:5.1f}"
    )


async def measure(
    app: BenchApp, pilot: object, keys: Callable[[int], Sequence[str]], count: int
) -> tuple[list[float], float]:
    grid = app.query_one(Grid)
    samples: list[float] = []
    grid.body.lines_rendered = 0
    pressed = 0
    for i in range(count):
        for key in keys(i):
            samples.append(await timed_press(app, pilot, key))
            pressed += 1
    return samples, grid.body.lines_rendered / max(1, pressed)


async def run(rows: int, count: int) -> list[str]:
    app = BenchApp(ledger(rows))
    out = [f"grid over {rows:,} rows at 100x30; one 60 Hz frame = {FRAME_MS:.1f} ms"]
    async with app.run_test(size=(100, 30)) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        scenarios: list[tuple[str, Callable[[int], Sequence[str]]]] = [
            ("move down", lambda i: ("down",)),
            ("move right/left", lambda i: ("right",) if i % 6 < 3 else ("left",)),
            ("page down", lambda i: ("pagedown",)),
            ("jump end/home", lambda i: ("end",) if i % 2 == 0 else ("home",)),
        ]
        for name, keys in scenarios:
            samples, lines = await measure(app, pilot, keys, count)
            out.append(summary(name, samples, lines))
        grid.move_to(grid.cursor_row, 2)  # participants: int, parsed on commit
        opened: list[float] = []
        committed: list[float] = []
        grid.body.lines_rendered = 0
        for i in range(count):
            opened.append(await timed_press(app, pilot, str(i % 10)))
            committed.append(await timed_press(app, pilot, "enter"))
        lines = grid.body.lines_rendered / (2 * count)
        out.append(summary("type digit (opens edit)", opened, lines))
        out.append(summary("enter (commit, down)", committed, lines))
        undone: list[float] = []
        for _ in range(min(count, 50)):
            undone.append(await timed_press(app, pilot, "ctrl+z"))
        out.append(summary("undo", undone, 0.0))
    return out


# -- 2. the app on an office ----------------------------------------------------------------


def build_home(home: Path, rows: int) -> None:
    """A township home whose village v01 has `rows` rows of safety-2026 (imported in
    batches, as a clerk imports them)."""
    from vledger.sync.services.homes import init_township

    path = PROGRAM if PROGRAM.exists() else EXAMPLE
    with init_township(home, "青石乡", "t1", year=2026, user="clerk") as office:
        office.roster.add_office("v01", "东坪村")
        office.programs.add(path.read_text(encoding="utf-8"), path.name)
    fill_ledger(home, "v01", rows)


def fill_ledger(home: Path, village: str, rows: int) -> None:
    """`rows` rows of safety-2026 in `village`'s ledger, imported 2,000 at a time."""
    from vledger.sync.services.office import Office

    with Office.open(home) as office:
        session = office.ledgers.session("safety-2026", village, writing=True)
        kinds = session.program.column("kind").choices
        for start in range(0, rows, 2000):
            session.import_rows([
                {"date": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}", "kind": kinds[i % 4],
                 "participants": i % 97, "note": f"第{i}条 安全宣传进村入户"}
                for i in range(start, min(rows, start + 2000))])


class Collections:
    """Full collections (and their milliseconds) while it listens."""

    def __init__(self) -> None:
        self.full = 0
        self.full_ms = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info.get("generation") == 2:
            self.full += 1
            self.full_ms += (time.perf_counter() - self._started) * 1000

    def __enter__(self) -> Collections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


async def app_keys(home: Path, count: int, settle: bool) -> dict[str, Any]:
    """The clerk's keys in the ledger screen of the app on `home` (in this process)."""
    from bench.tui_burst import app_class, wait
    from vledger.tui.screens.ledger import LedgerScreen

    async def press(app: Any, pilot: object, key: str) -> float:
        return await timed_press(app, pilot, key, 10.0)  # the first edit reads the journal

    cls = app_class()
    cls.settles_memory = settle
    if not settle:  # as before: Textual's own footer recompose (tui/textual_compat.py)
        from textual.widgets import Footer

        from vledger.tui import textual_compat

        Footer.recompose = textual_compat._FOOTER_RECOMPOSE  # type: ignore[method-assign]
    app = cls(home, "en")
    found: dict[str, Any] = {"settle": settle}
    async with app.run_test(size=(100, 30)) as pilot:
        await wait(pilot, lambda: app.worker is not None and app.worker.facts is not None,
                   "the office")
        app.program_id, app.village = "safety-2026", "v01"
        app.open_screen("ledger")
        await wait(pilot, lambda: isinstance(app.screen, LedgerScreen)
                   and app.screen.grid is not None, "the ledger")
        grid = app.screen.grid
        assert grid is not None
        found["rows"] = grid.model.row_count()
        grid.move_to(grid.cursor_row, 3)  # participants: a number, parsed on commit
        for _ in range(3):  # warm: the first edit reads the journal's index
            await press(app, pilot, "4")
            await press(app, pilot, "enter")
        await wait(pilot, lambda: app.worker is not None and app.worker.idle, "the worker")
        await pilot.pause(2.5)  # the clerk looks at the ledger: a pause (a settle, if on)
        found["unsettled_before"] = len(gc.get_objects(generation=2))
        found["frozen"] = gc.get_freeze_count()
        moves: list[float] = []
        with Collections() as during_moves:
            for i in range(count):
                key = "down" if i % 3 else ("right" if i % 6 < 3 else "left")
                moves.append(await press(app, pilot, key))
        opened: list[float] = []
        committed: list[float] = []
        with Collections() as during_edits:
            for i in range(count):
                opened.append(await press(app, pilot, str(i % 10)))
                committed.append(await press(app, pilot, "enter"))
        await wait(pilot, lambda: app.worker is not None and app.worker.idle, "the writes")
        found.update(moves=moves, opened=opened, committed=committed,
                     full_moves=during_moves.full, full_moves_ms=during_moves.full_ms,
                     full_edits=during_edits.full, full_edits_ms=during_edits.full_ms)
    return found


def p95(samples: Sequence[float]) -> float:
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def app_run(home: Path, count: int, settle: bool) -> dict[str, Any]:
    """`app_keys` in a fresh process (a heap of its own; nothing frozen by another run)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.tui_grid", "--app-child", str(home), "--keys",
         str(count), "--settle", "on" if settle else "off"],
        cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the app's run failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def app_report(rows: int, count: int) -> list[str]:
    from bench.report import measure as report_measure

    with tempfile.TemporaryDirectory(prefix="vledger-bench-grid-") as folder:
        home = Path(folder) / "home"
        started = time.perf_counter()
        build_home(home, rows)
        out = [f"the app's ledger screen over {rows:,} rows (home built in "
               f"{time.perf_counter() - started:.0f} s); {count} presses per scenario"]
        runs = {settle: app_run(home, count, settle) for settle in (False, True)}
    for settle, run in runs.items():
        name = "now   " if settle else "before"
        out += [
            f"{name}: {run['rows']:,} rows; after the pause {run['unsettled_before']:,} objects "
            f"in the oldest generation, {run['frozen']:,} frozen",
            "  " + summary("move (arrows)", run["moves"], 0.0),
            "  " + summary("type digit (opens edit)", run["opened"], 0.0),
            "  " + summary("enter (commit, down)", run["committed"], 0.0),
            f"  full collections mid-keys: moving {run['full_moves']} "
            f"({run['full_moves_ms']:.0f} ms in all), editing {run['full_edits']} "
            f"({run['full_edits_ms']:.0f} ms in all)",
        ]
    off, on = runs[False], runs[True]
    for line in out:
        print(line)
    report_measure("tui.move_p95_ms", p95(on["moves"]), "ms", baseline=p95(off["moves"]),
                   goal=round(FRAME_MS, 1), goal_on="value")
    report_measure("tui.edit_commit_p95_ms", p95(on["committed"]), "ms",
                   baseline=p95(off["committed"]), goal=round(FRAME_MS, 1), goal_on="value")
    return []


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=100, help="presses per scenario")
    parser.add_argument("--app-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--settle", choices=("on", "off"), default="on", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.app_child is not None:
        print(json.dumps(asyncio.run(app_keys(args.app_child, args.keys, args.settle == "on"))))
        return
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    for line in asyncio.run(run(args.rows, args.keys)):
        print(line)
    app_report(args.rows, args.keys)


if __name__ == "__main__":
    main()
