"""The township's UI serves: the sync screen starts and stops a `vledger serve` child, lists
the villages that synced with it, and the clerk and the command line keep working on the
same home meanwhile; `vledger ui --serve` serves from the start; nothing outlives the app.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from test_live import shows, vledger
from textual.widgets import Input, Static
from ui_helpers import SAFETY, make_app, settle

from tests.e2e.fault_proxy import add_rows, make_township, make_village
from vledger.tui.app import VLedgerApp
from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.sync import SyncScreen

SIZE = (110, 32)


def township_with_village(tmp_path: Path) -> tuple[Path, Path]:
    town, village = tmp_path / "town", tmp_path / "v01"
    make_township(town, 2)
    make_village(town, village, "v01")
    return town, village


def listed(screen: SyncScreen, office: str) -> dict[str, str] | None:
    """The peers table's row of `office` (the table names offices by their names)."""
    name = screen.facts.office_name(office)
    for row in screen.model.row_ids():
        if screen.model.display(row, "office") == name:
            return {c.id: screen.model.display(row, c.id) for c in screen.model.columns}
    return None


async def test_the_sync_screen_serves_a_village_and_lists_it(tmp_path: Path) -> None:
    town, village = township_with_village(tmp_path)
    add_rows(village, None, 3, "村里记的")
    app = make_app(town, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SyncScreen)
        serving_line = screen.query_one("#sync-serving", Static)
        assert "not serving" in str(serving_line.render())
        screen.query_one("#sync-listen", Input).value = "127.0.0.1:0"
        await pilot.press("v")
        await shows(pilot, lambda: app.serving is not None and app.serving.state == "serving",
                    "the server listening")
        assert app.serving is not None and app.serving.address is not None
        address = app.serving.address
        assert f"serving on {address}" in str(serving_line.render())

        # a village syncs with it (another process) and the command line reads the same
        # home in the same minute, while the clerk keeps moving on the screen
        syncing = asyncio.create_task(asyncio.to_thread(vledger, village, "sync", address))
        await pilot.press("tab", "shift+tab")
        said = await syncing
        assert "in sync with" in said
        listing = await asyncio.to_thread(vledger, town, "ledger", "list", SAFETY,
                                          "--village", "v01")
        assert "村里记的" in listing
        await shows(pilot, lambda: (listed(screen, "v01") or {}).get("state") == "in step",
                    "v01 in step")
        row = listed(screen, "v01")
        assert row is not None and row["at"] and row["changes"].split("/")[1] != "0"

        await pilot.press("v")  # stop serving
        await shows(pilot, lambda: "not serving" in str(serving_line.render()),
                    "serving stopped")
        serving = app.serving
        await settle(pilot)
        await shows(pilot, lambda: serving.child.process is not None
                    and serving.child.process.poll() is not None, "the server ended")
    assert app.errors == []


async def test_ui_serve_serves_from_the_start_and_stops_with_the_app(tmp_path: Path) -> None:
    town, village = township_with_village(tmp_path)
    app = VLedgerApp(town, "en", serve="127.0.0.1:0")
    child: Any = None
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await shows(pilot, lambda: app.serving is not None and app.serving.state == "serving",
                    "the server listening")
        assert app.serving is not None
        child = app.serving.child.process
        home = app.screen
        assert isinstance(home, HomeScreen)
        line = home.query_one("#home-serving", Static)
        await shows(pilot, lambda: "serving on 127.0.0.1:" in str(line.render()),
                    "the home saying it serves")
        await asyncio.to_thread(vledger, village, "sync", app.serving.address or "")
        await shows(pilot, lambda: "1 peer synced" in str(line.render()),
                    "the home counting the village")
    assert child is not None and child.poll() is not None  # stopped and reaped with the app
