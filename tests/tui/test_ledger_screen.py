"""The ledger screen over the facade: edits, refusals, undo, rows and villages are stored
(checked by reopening the home's Office after the app has quit)."""

from __future__ import annotations

from pathlib import Path

from ui_helpers import SAFETY, SIZE, make_app, open_ledger

from vledger.sync.services.office import Office
from vledger.tui.grid.view import Grid
from vledger.tui.screens.ledger import LedgerScreen
from vledger.tui.widgets.picker import Picker


def stored_rows(home: Path, village: str = "v01") -> dict[str, dict[str, object]]:
    with Office.open(home) as office:
        rows = office.ledgers.session(SAFETY, village).rows(include_deleted=True)
        return {r.id: {**r.cells, "deleted": r.deleted} for r in rows}


def grid_of(app: object) -> Grid:
    screen = app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, LedgerScreen) and screen.grid is not None
    return screen.grid


def column(grid: Grid, column_id: str) -> int:
    return [c.id for c in grid.model.columns].index(column_id)


async def test_an_edit_is_stored_in_the_office(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(2, column(grid, "participants"))
        row_id = grid.cursor_row_id
        await pilot.press("4", "2", "1", "enter")
        await pilot.pause()
        assert not grid.editing
        assert app.errors == []
    assert row_id is not None
    assert stored_rows(demo_home)[row_id]["participants"] == 421


async def test_a_bad_value_keeps_the_editor_open_with_the_reason(demo_home: Path) -> None:
    before = stored_rows(demo_home)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(0, column(grid, "participants"))
        await pilot.press("x", "y", "enter")
        await pilot.pause()
        assert grid.editing
        assert grid.editor.value == "xy"
        assert grid.status.has_class("-refused")
        assert "participants" in str(grid.status.render()) or "参加人数" in str(
            grid.status.render()) or "whole number" in str(grid.status.render())
        await pilot.press("escape")
        await pilot.pause()
        assert not grid.editing
    assert stored_rows(demo_home) == before


async def test_undo_puts_the_stored_value_back(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(1, column(grid, "note"))
        row_id = grid.cursor_row_id
        old = grid.model.value(row_id, "note")  # type: ignore[arg-type]
        await pilot.press("f2", "ctrl+u")  # open the editor on the old text, clear it
        await pilot.press(*"改过", "enter")
        await pilot.pause()
        assert grid.model.value(row_id, "note") == "改过"  # type: ignore[arg-type]
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert grid.model.value(row_id, "note") == old  # type: ignore[arg-type]
    assert row_id is not None
    assert stored_rows(demo_home)[row_id].get("note") == old


async def test_add_and_delete_rows_are_stored(demo_home: Path) -> None:
    before = stored_rows(demo_home)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        added = grid.cursor_row_id
        assert added is not None and added not in before
        assert grid.cursor_column_id == "date"
        assert grid.model.value(added, "date") == "2026-05-15"  # dated today
        await pilot.press(*"2026-05-20", "enter")
        await pilot.pause()
        grid.move_to(0)
        victim = grid.cursor_row_id
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert app.errors == []
    after = stored_rows(demo_home)
    assert after[added]["date"] == "2026-05-20"
    assert victim is not None and after[victim]["deleted"] is True
    assert len(after) == len(before) + 1


async def test_restore_a_deleted_row(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        victim = grid.cursor_row_id
        await pilot.press("ctrl+d", "ctrl+t")  # delete, then show deleted rows
        await pilot.pause()
        grid.move_to_row_id(victim)  # type: ignore[arg-type]
        await pilot.press("ctrl+r")
        await pilot.pause()
    assert victim is not None and stored_rows(demo_home)[victim]["deleted"] is False


async def test_choose_another_village_and_program(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        await pilot.press("f7")
        await pilot.pause()
        assert isinstance(app.screen, Picker)
        await pilot.press("down", "enter")
        await pilot.pause()
        grid = grid_of(app)
        assert grid.model.village == "v02"  # type: ignore[attr-defined]
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("home", "enter")  # the first program
        await pilot.pause()
        grid = grid_of(app)
        assert grid.model.program.id == "benefits-2026"  # type: ignore[attr-defined]
        assert grid.model.village == "v02"  # type: ignore[attr-defined]
        assert app.errors == []


async def test_ctrl_b_opens_the_blame_of_the_cell_under_the_cursor(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        await open_ledger(pilot)
        grid = grid_of(app)
        grid.move_to(3, column(grid, "participants"))
        row_id = grid.cursor_row_id
        assert row_id is not None
        before = grid.model.value(row_id, "participants")
        await pilot.press("f2", "ctrl+u", *"4321", "enter")
        await pilot.pause()
        grid.move_to_row_id(row_id, "participants")
        await pilot.press("ctrl+b")
        await pilot.pause()
        screen = app.screen
        assert type(screen).__name__ == "BlameScreen"
        program = grid.model.program.id  # type: ignore[attr-defined]
        assert screen.cell == (program, "v01", row_id, "participants")  # type: ignore[attr-defined]
        chain = screen.chain  # type: ignore[attr-defined]
        # newest first: the edit just made, on top of the value the cell showed before
        assert chain[0].new == 4321
        assert chain[0].old == before
        assert screen.model.display(chain[0].id, "new") == "4321"  # type: ignore[attr-defined]
        assert app.errors == []
