"""Helpers for driving the vledger app under Pilot (shared by the screen tests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from vledger.tui.app import VLedgerApp
from vledger.tui.screens.home import HomeScreen

SIZE = (100, 30)
SAFETY = "safety-2026"


def make_app(home: Path, lang: str = "zh", today: date = date(2026, 5, 15)) -> VLedgerApp:
    return VLedgerApp(home, lang, today=today)


def choose_program(app: VLedgerApp, program_id: str) -> None:
    """Highlight `program_id` in the home screen's program list."""
    assert isinstance(app.screen, HomeScreen)
    options = app.screen.query_one("#home-programs", OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.highlighted = ids.index(program_id)


async def open_ledger(pilot: Pilot[int], program_id: str = SAFETY) -> None:
    await pilot.pause()
    choose_program(pilot.app, program_id)  # type: ignore[arg-type]
    await pilot.press("enter")
    await pilot.pause()


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
