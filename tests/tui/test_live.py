"""Live screens: what another process writes on the same home shows on the open screen
without a key, and the UI never waits on the office.

"Another process" is a real `vledger` command in a subprocess, or a second `Office` opened
on the same home (its own store connection and automerge actor, as a process has). No key
is pressed between the write and the check: the screen must change by itself.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from ui_helpers import SAFETY, SIZE, choose_program, make_app, open_ledger, settle

from vledger.sync.services.office import Office, Refusal
from vledger.tui.grid.office_model import OfficeLedgerModel
from vledger.tui.grid.view import Grid
from vledger.tui.screens.history import HistoryScreen
from vledger.tui.screens.home import HomeScreen
from vledger.tui.screens.ledger import LedgerScreen
from vledger.tui.screens.ranking import RankingScreen
from vledger.tui.screens.sheets import SheetsScreen

REPO = Path(__file__).resolve().parents[2]
UNTIL = 15.0  # seconds a change may take to show here (a busy test machine; the UI: ~1 s)


async def shows(pilot: Pilot[Any], check: Callable[[], bool], what: str) -> None:
    """Wait, pressing no key, until `check()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + UNTIL
    while loop.time() < deadline:
        if check():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the screen did not show {what} by itself")


def vledger(home: Path, *args: str) -> str:
    """Run `vledger` in another process on `home` (as a clerk's script would)."""
    done = subprocess.run([sys.executable, "-m", "vledger", "--home", str(home), "--lang",
                           "en", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def grid_of(app: Any) -> Grid:
    screen = app.screen
    assert isinstance(screen, LedgerScreen) and screen.grid is not None
    return screen.grid


def column(grid: Grid, column_id: str) -> int:
    return [c.id for c in grid.model.columns].index(column_id)


async def test_a_command_in_another_process_shows_in_the_ledger_without_a_key(
    demo_home: Path,
) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        rows = list(grid.model.row_ids())
        target = rows[4]
        grid.move_to(2, column(grid, "note"))
        cursor = grid.cursor_row_id
        await pilot.press("f2", "ctrl+u", *"还没保存")  # an open editor, its text unsaved
        await settle(pilot)
        assert grid.editing and grid.editor.value == "还没保存"
        reads = grid.model.reads  # type: ignore[attr-defined]
        await asyncio.to_thread(vledger, demo_home, "ledger", "set", SAFETY, target,
                                "note=另一个进程写的", "--village", "v01")
        await shows(pilot, lambda: grid.model.display(target, "note") == "另一个进程写的",
                    "the other process's note")
        assert grid.model.reads == reads + 1  # type: ignore[attr-defined]
        # the clerk's work is untouched: the cursor, the open editor and its text
        assert grid.cursor_row_id == cursor
        assert grid.editing and grid.editor.value == "还没保存"
        assert app.screen.query_one("#grid-editor").has_focus
        await pilot.press("enter")
        await settle(pilot)
        assert grid.model.display(cursor, "note") == "还没保存"  # type: ignore[arg-type]
    with Office.open(demo_home) as office:
        stored = {r.id: r.cells for r in office.ledgers.session(SAFETY, "v01").rows()}
    assert stored[target]["note"] == "另一个进程写的"
    assert stored[cursor]["note"] == "还没保存"  # type: ignore[index]


async def test_rows_added_above_keep_the_cursor_on_its_line(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(25, column(grid, "participants"))
        await settle(pilot)
        cursor, line = grid.cursor_row_id, grid.cursor_row - grid.body.scroll_offset.y
        with Office.open(demo_home) as other:  # another writer on the same home
            other.ledgers.session(SAFETY, "v01", writing=True).add_rows(
                [{"date": "2026-01-01", "kind": "安全宣传"},
                 {"date": "2026-01-02", "kind": "安全宣传"}])
        count = grid.model.row_count()
        await shows(pilot, lambda: grid.model.row_count() == count + 2, "the two new rows")
        await pilot.pause()
        assert grid.cursor_row_id == cursor
        assert grid.cursor_row - grid.body.scroll_offset.y == line  # the same screen line


async def test_an_edit_never_waits_for_the_store(demo_home: Path) -> None:
    """Another process holds the store's write lock: the edit shows at once, the keys go
    on, and the edit is stored once the lock is free."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(1, column(grid, "participants"))
        row = grid.cursor_row_id
        assert row is not None
        lock = sqlite3.connect(demo_home / "vledger.db", isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the writer's lock, as a sync in serve holds it
        try:
            await pilot.press("7", "7", "enter")
            await pilot.press("down", "down", "right")  # keys after the edit are handled meanwhile
            await pilot.pause(0.3)
            assert grid.model.value(row, "participants") == 77
            assert grid.cursor_row == 4 and grid.cursor_column_id == "fixed"
            assert app.worker is not None and not app.worker.idle  # the write waits
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        await settle(pilot)
        assert app.errors == []
    with Office.open(demo_home) as office:
        assert office.ledgers.session(SAFETY, "v01").row(row).cells["participants"] == 77  # type: ignore[union-attr]


async def test_a_write_the_store_refuses_is_undone_with_the_reason(
    demo_home: Path, monkeypatch: Any
) -> None:
    from vledger.sync.services.ledgers import LedgerSession

    def refuse(self: LedgerSession, row_id: str, cells: Any) -> None:
        raise Refusal("the disk is full: free some space, then type the value again")

    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(0, column(grid, "participants"))
        row = grid.cursor_row_id
        assert row is not None
        before = grid.model.value(row, "participants")
        monkeypatch.setattr(LedgerSession, "write_cells", refuse)
        await pilot.press("9", "9", "enter")  # shown at once (the lock test shows that)
        await settle(pilot)
        assert grid.model.value(row, "participants") == before  # the store's value again
        assert "disk is full" in str(grid.status.render())
        assert [str(e) for e in app.errors] == [
            "the disk is full: free some space, then type the value again"]


async def test_history_shows_another_office_s_edit_without_a_key(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        count = len(screen.records)
        with Office.open(demo_home) as other:
            session = other.ledgers.session(SAFETY, "v02", writing=True)
            session.set_cells(session.rows()[0].id, {"note": "另一处的修改"})
        await shows(pilot, lambda: len(screen.records) == count + 1, "the new edit")
        assert any(r["new"] == "另一处的修改" for r in screen.records)
        # The clerk was watching the newest edits: the new one shows on top, under the cursor.
        assert screen.grid.cursor_row == 0 and screen.grid.body.scroll_offset.y == 0
        assert screen.grid.cursor_row_id == screen.records[0]["id"]
        assert screen.records[0]["new"] == "另一处的修改"


async def test_home_counts_follow_another_process(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, HomeScreen) and screen.counts is not None
        before = screen.counts
        with Office.open(demo_home) as other:  # this device's edits, in another process
            session = other.ledgers.session(SAFETY, "v03", writing=True)
            session.set_cells(session.rows()[0].id, {"note": "又一处"})
        await shows(pilot, lambda: screen.counts is not None and screen.counts is not before,
                    "the counts read again")
        # a home that never synced has nothing to count: every edit is unsynced
        assert screen.counts is not None and screen.counts.sync.never_synced


async def test_sheets_and_ranking_follow_another_process(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_program(app, SAFETY)
        await pilot.press("s")
        await settle(pilot)
        sheets = app.screen
        assert isinstance(sheets, SheetsScreen) and sheets.grid is not None
        grid = sheets.grid
        indicator = grid.model.columns[1].id
        with Office.open(demo_home) as other:
            other.sheets.set_target(SAFETY, "v02", indicator, "123")
        await shows(pilot, lambda: grid.model.display("v02", indicator) == "123",
                    "the target set elsewhere")
        await pilot.press("escape", "r")
        await settle(pilot)
        ranking = app.screen
        assert isinstance(ranking, RankingScreen)
        computed = ranking.recomputed
        with Office.open(demo_home) as other:
            other.ledgers.session(SAFETY, "v04", writing=True).add_rows(
                [{"date": "2026-05-02", "kind": "应急演练"}])
        await shows(pilot, lambda: ranking.recomputed > computed, "a ranking computed again")


async def test_a_ledger_refreshes_only_for_its_own_village(demo_home: Path) -> None:
    """Another village's sync does not make the open ledger read its rows again."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        model = grid.model
        assert isinstance(model, OfficeLedgerModel) and model.village == "v01"
        reads = model.reads
        with Office.open(demo_home) as other:
            session = other.ledgers.session(SAFETY, "v02", writing=True)
            session.set_cells(session.rows()[0].id, {"note": "v02 的修改"})
            target = other.ledgers.session(SAFETY, "v01", writing=True)
            first = target.rows()[0].id
        app.look_at_store()
        await settle(pilot)
        assert model.reads == reads
        # and its own edits do not either: the model keeps in step with them itself
        grid.move_to(0, column(grid, "note"))
        await pilot.press("f2", "ctrl+u", *"自己改的", "enter")
        await settle(pilot)
        app.look_at_store()
        await settle(pilot)
        assert model.reads == reads
        assert model.display(first, "note") == "自己改的"


async def test_stored_sheet_value_is_checked_at_once(demo_home: Path) -> None:
    """A sheet value the service would refuse keeps the editor open, before any write."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        choose_program(app, SAFETY)
        await pilot.press("s")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SheetsScreen) and screen.grid is not None
        grid = screen.grid
        grid.move_to(0, 1)
        await pilot.press("f2", "ctrl+u", "-", "4", "enter")
        assert grid.editing and grid.status.has_class("-refused")
        await pilot.press("escape")
        await pilot.press("f2", "ctrl+u", "4", "2", "enter")
        assert grid.model.display("v01", grid.model.columns[1].id) == "42"
        await settle(pilot)
    with Office.open(demo_home) as office:
        assert office.sheets.inputs(SAFETY).targets[("v01", grid.model.columns[1].id)] == \
            Decimal(42)


async def test_the_ui_compacts_its_documents_only_when_the_clerk_pauses(
    demo_home: Path,
) -> None:
    """Saving a big ledger holds the whole process: the UI's office leaves the chunks of
    its edits be while the clerk types, and compacts them at a pause."""
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        screen = app.screen
        assert isinstance(screen, LedgerScreen) and screen.grid is not None
        model = screen.grid.model
        assert isinstance(model, OfficeLedgerModel)
        assert app.worker is not None
        store = app.worker.submit(lambda office: office.store).result()
        [document] = [d for d in store.document_ids() if f"/{model.village}/" in d]
        app.worker.submit(lambda office: setattr(office.store, "compact_chunks", 2)).result()
        worker = app.worker

        def chunks() -> int:
            return worker.submit(lambda office: office.store.chunk_stats(document)[0]).result()

        grid = screen.grid
        grid.move_to(0, column(grid, "note"))
        for word in ("一", "二", "三", "四"):
            await pilot.press(word, "enter", "up")
            await settle(pilot)
        assert chunks() > 2
        app.last_key = time.monotonic()  # typing: no compaction
        app.look_at_store()
        await settle(pilot)
        assert chunks() > 2
        app.last_key = 0.0  # a pause
        app.look_at_store()
        await settle(pilot)
        assert chunks() <= 2
        assert model.display(grid.cursor_row_id, "note") == "四"  # type: ignore[arg-type]
