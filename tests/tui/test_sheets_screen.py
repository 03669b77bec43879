"""Township sheets: a target typed in the grid is stored; a bad one is refused with the
reason; other sheets and periods; rows cannot be added to a sheet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from ui_helpers import SAFETY, SIZE, choose_program, make_app

from vledger.sync.services.office import Office
from vledger.tui.grid.sheet_model import SheetModel
from vledger.tui.grid.view import Grid
from vledger.tui.screens.sheets import SheetsScreen


async def open_sheets(pilot: object) -> Grid:
    await pilot.pause()  # type: ignore[attr-defined]
    choose_program(pilot.app, SAFETY)  # type: ignore[attr-defined]
    await pilot.press("s")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen = pilot.app.screen  # type: ignore[attr-defined]
    assert isinstance(screen, SheetsScreen) and screen.grid is not None
    return screen.grid


async def test_a_target_typed_is_stored(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_sheets(pilot)
        model = grid.model
        assert isinstance(model, SheetModel) and model.kind == "targets"
        indicator = model.columns[1].id
        grid.move_to(1, 1)  # the second village, the first indicator
        await pilot.press("f2", "ctrl+u", "1", "7", "enter")
        await pilot.pause()
        assert not grid.editing
        assert app.errors == []
    with Office.open(demo_home) as office:
        assert office.sheets.inputs(SAFETY).targets[("v02", indicator)] == Decimal(17)


async def test_a_negative_target_is_refused_and_nothing_changes(demo_home: Path) -> None:
    with Office.open(demo_home) as office:
        before = dict(office.sheets.inputs(SAFETY).targets)
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_sheets(pilot)
        grid.move_to(0, 1)
        await pilot.press("f2", "ctrl+u", "-", "3", "enter")
        await pilot.pause()
        assert grid.editing
        assert grid.status.has_class("-refused")
        await pilot.press("escape", "ctrl+n")  # a sheet has one row per village
        await pilot.pause()
        assert "one row per village" in str(grid.status.render())
        assert grid.model.row_count() == 4
    with Office.open(demo_home) as office:
        assert dict(office.sheets.inputs(SAFETY).targets) == before


async def test_undo_in_a_sheet_restores_the_stored_target(demo_home: Path) -> None:
    app = make_app(demo_home, "en")
    async with app.run_test(size=SIZE) as pilot:
        grid = await open_sheets(pilot)
        indicator = grid.model.columns[1].id
        old = grid.model.value("v01", indicator)
        grid.move_to(0, 1)
        await pilot.press("f2", "ctrl+u", "9", "9", "enter", "ctrl+z")
        await pilot.pause()
        assert grid.model.value("v01", indicator) == old
    with Office.open(demo_home) as office:
        stored = office.sheets.inputs(SAFETY).targets.get(("v01", indicator))
    assert stored == (None if old is None else Decimal(str(old)))


async def test_choose_the_adjustments_sheet_and_a_period(demo_home: Path) -> None:
    app = make_app(demo_home, "zh")
    async with app.run_test(size=SIZE) as pilot:
        await open_sheets(pilot)
        await pilot.press("f6")
        await pilot.pause()
        await pilot.press("end", "enter")  # adjustments is the last sheet
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SheetsScreen) and screen.grid is not None
        model = screen.grid.model
        assert isinstance(model, SheetModel) and model.kind == "adjustments"
        assert model.period == "Q2"  # the current period on 2026-05-15
        await pilot.press("f7")
        await pilot.pause()
        await pilot.press("home", "enter")
        await pilot.pause()
        model = screen.grid.model  # type: ignore[union-attr]
        assert isinstance(model, SheetModel) and model.period == "Q1"
        screen.grid.move_to(0, 1)  # type: ignore[union-attr]
        adjustment = model.columns[1].id
        await pilot.press("f2", "ctrl+u", "2", "enter")
        await pilot.pause()
        assert app.errors == []
    with Office.open(demo_home) as office:
        assert office.sheets.inputs(SAFETY).adjustments[("v01", adjustment, "Q1")] == 2
