"""Keypress-to-screen-update latency of the ledger grid over 20,000 rows, under Pilot.

    python -m bench.tui_grid [--rows N] [--keys N]

A key's latency runs from handing the key to the app until the next screen update has been
composed and turned into terminal output (headless, so nothing is written). Textual paces
screen updates to its frame rate, so one 60 Hz frame (16.7 ms) is the floor to compare with.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import RenderableType
from textual.app import App, ComposeResult
from textual.screen import Screen

from vledger.domain.program import Program
from vledger.domain.program_file import load_program
from vledger.tui.grid.model import MemoryLedgerModel
from vledger.tui.grid.view import Grid

FRAME_MS = 1000 / 60
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


async def timed_press(app: BenchApp, pilot: object, key: str) -> float:
    """Milliseconds from the key press to the first screen update after it."""
    start = time.perf_counter()
    await pilot.press(key)  # type: ignore[attr-defined]
    deadline = start + 2.0
    while time.perf_counter() < deadline:
        after = [t for t in app.updates[-8:] if t > start]
        if after:
            return (after[0] - start) * 1000
        await asyncio.sleep(0.001)
    raise RuntimeError(f"no screen update within 2 s after {key!r}")


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
            ("move down (j)", lambda i: ("j",)),
            ("move right/left", lambda i: ("l",) if i % 6 < 3 else ("h",)),
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
            undone.append(await timed_press(app, pilot, "u"))
        out.append(summary("undo", undone, 0.0))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--keys", type=int, default=100, help="presses per scenario")
    args = parser.parse_args(argv)
    for line in asyncio.run(run(args.rows, args.keys)):
        print(line)


if __name__ == "__main__":
    main()
