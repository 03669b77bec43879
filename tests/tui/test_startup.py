"""Start-up: the home screen is drawn before the office's first jobs run (its counts hold
the interpreter lock while automerge loads documents, and would hold the first draw)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rich.console import RenderableType
from textual.screen import Screen
from ui_helpers import SIZE, settle

from vledger.sync.services.office import Office
from vledger.tui import app as app_module
from vledger.tui.app import VLedgerApp
from vledger.tui.screens import home as home_module
from vledger.tui.screens.home import HomeCounts, HomeScreen


class Watched(VLedgerApp):
    """Says whether its home screen was drawn yet."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))
    home_drawn = False

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        if isinstance(screen, HomeScreen) and renderable is not None:
            self.home_drawn = True


@pytest.mark.parametrize("early", [False, True], ids=["opened-by-the-app", "opened-early"])
async def test_the_home_is_drawn_before_its_counts_are_counted(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch, early: bool
) -> None:
    monkeypatch.setattr(app_module, "FIRST_DRAW_WAIT", 60.0)  # a busy test machine
    app = Watched(demo_home, "en")
    if early:  # as `run_app` does: the office open and its facts read before the app runs
        app.open_early()
        assert app.worker is not None and app.worker.facts is not None
    drawn_when_counted: list[bool] = []
    count = home_module._count

    def counted(office: Office) -> HomeCounts:
        drawn_when_counted.append(app.home_drawn)
        return count(office)

    monkeypatch.setattr(home_module, "_count", counted)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen) and app.screen.counts is not None
    assert drawn_when_counted and drawn_when_counted[0]


async def test_a_home_that_cannot_open_early_shows_why_when_the_app_starts(
    tmp_path: Path,
) -> None:
    """No office to open before the app runs: nothing is kept or made, and the app shows
    what it showed when it opened the home itself (here: the first-run screen)."""
    from vledger.tui.screens.first_run import FirstRunScreen

    home = tmp_path / "new"
    app = VLedgerApp(home, "en")
    app.open_early()
    assert app.office is None and app.worker is None
    assert not home.exists()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)


async def test_the_collector_held_while_the_ui_starts_runs_again_once_the_home_shows(
    demo_home: Path,
) -> None:
    """`vledger ui` holds the garbage collector from before Textual is imported (tui/cli/
    ui.py): the app lets it run again as soon as its first screen is drawn."""
    import gc

    from vledger.tui import memory

    memory.hold()
    try:
        assert not gc.isenabled()
        app = VLedgerApp(demo_home, "en")
        app.open_early()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)
            assert gc.isenabled()
    finally:
        memory.resume()
        gc.enable()


def test_vledger_ui_holds_the_collector_until_the_app_ends_at_the_latest(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gc

    from vledger.tui.cli.main import main

    held: list[bool] = []
    monkeypatch.setattr(app_module, "run_app",
                        lambda *_args, **_kw: held.append(not gc.isenabled()) or 0)
    assert main(["--home", str(demo_home), "--lang", "en", "ui"]) == 0
    assert held == [True]
    assert gc.isenabled()


async def test_a_damaged_home_shows_the_same_whether_opened_early_or_by_the_app(
    demo_home: Path, tmp_path: Path,
) -> None:
    """The damaged database is set aside on the first try to open it: opened early, the app
    shows what that first try found, as when it opened the home itself."""
    import shutil

    shown = []
    for early in (False, True):
        home = tmp_path / f"early-{early}"
        shutil.copytree(demo_home, home)
        (home / "vledger.db").write_bytes(b"not a database at all " * 200)
        app = VLedgerApp(home, "en")
        if early:
            app.open_early()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            shown.append((type(app.screen).__name__,
                          [str(p) for e in app.errors for p in e.problems]))
    assert shown[0] == shown[1]


async def test_opened_early_the_home_is_the_apps_first_screen_and_esc_leads_back_to_it(
    demo_home: Path,
) -> None:
    """No blank screen is made and drawn under the home (a draw the clerk never sees);
    the screens opened from the home still lead back to it, and only to it."""
    from vledger.tui.screens.ledger import LedgerScreen

    app = VLedgerApp(demo_home, "en")
    app.open_early()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert [type(s) for s in app.screen_stack] == [HomeScreen]
        home = app.screen
        for _round in range(2):
            await pilot.press("l")
            await settle(pilot)
            assert isinstance(app.screen, LedgerScreen)
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen_stack == [home]
        assert app.errors == []
