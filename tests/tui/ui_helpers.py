"""Helpers for driving the vledger app under Pilot (shared by the screen tests)."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Any

from textual.app import App
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from vledger.tui.app import VLedgerApp
from vledger.tui.screens.home import HomeScreen

SIZE = (100, 30)
SAFETY = "safety-2026"


def busy(app: App[Any]) -> bool:
    """Whether the app still works on something it was asked: opening the office, a job
    on the office's worker, a Textual worker, a child process it started."""
    if isinstance(app, VLedgerApp) and not app.opened:
        return True
    workers = {w for w in (getattr(app, "worker", None), getattr(app.screen, "worker", None))
               if w is not None}
    if any(not w.idle for w in workers):
        return True
    if any(c.running for c in getattr(app, "children_running", ())):
        return True
    if any(getattr(s, "waiting_for_quiet", False) for s in app.screen_stack):
        return True
    return any(not w.is_finished for w in app.workers)


async def settle(pilot: Pilot[Any], timeout: float = 60.0) -> None:
    """Until the app has done all it was asked and shown the answers: the UI never waits
    on the office, so a test that reads what the screen shows waits for it here."""
    quiet = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        await pilot.pause()
        if busy(pilot.app):
            quiet = 0
            await asyncio.sleep(0.01)
            continue
        quiet += 1
        if quiet >= 3:
            return
    raise AssertionError(f"the app was still busy after {timeout:.0f} s")


class Settled:
    """run_test, then `settle`, so tests start on the home screen with its data."""

    def __init__(self, context: Any) -> None:
        self.context = context

    async def __aenter__(self) -> Any:
        pilot = await self.context.__aenter__()
        await settle(pilot)
        return pilot

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.context.__aexit__(*exc)


def make_app(home: Path, lang: str = "zh", today: date = date(2026, 5, 15)) -> VLedgerApp:
    """The app on `home`, whose `run_test` waits for the office's home screen to show."""
    app = VLedgerApp(home, lang, today=today)
    run_test = app.run_test
    app.run_test = lambda *a, **k: Settled(run_test(*a, **k))  # type: ignore[method-assign]
    return app


def choose_program(app: VLedgerApp, program_id: str) -> None:
    """Highlight `program_id` in the home screen's program list."""
    assert isinstance(app.screen, HomeScreen)
    options = app.screen.query_one("#home-programs", OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(program_id)


async def open_ledger(pilot: Pilot[int], program_id: str = SAFETY) -> None:
    await settle(pilot)
    choose_program(pilot.app, program_id)  # type: ignore[arg-type]
    await pilot.press("enter")
    await settle(pilot)


async def palette_prompts(pilot: Pilot[int], query: str) -> list[str]:
    """Open the palette, type `query`, and return what it lists."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    palette = pilot.app.screen
    assert isinstance(palette, CommandPalette)
    palette.query_one(Input).value = query
    for _ in range(20):  # the palette searches in the background
        await pilot.pause(0.05)
        options = palette.query_one(CommandList)
        if options.option_count:
            break
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
