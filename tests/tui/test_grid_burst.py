"""Keys typed in one burst (a fast clerk, a paste, tmux send-keys) must land in order.

Textual queues each key at whichever widget has focus when the app reads it, and runs key
bindings only after the key has bubbled back up to the app. So when the grid opens its editor
(or the editor commits and hands focus back), keys already read sit in the old widget's
queue while later keys reach the new one. Before the fix, `F2 ctrl+u 9 9 enter` sent at once
stored an empty value: ctrl+u's binding ran after the two 9s were typed.

`pilot.press` waits for the app to go idle between keys, which hides this race, so `burst`
hands every key to the driver at once, as a terminal delivers a fast typist's keys; the
`pilot.press` variants are kept too, since the clerk's normal pace must keep working.
"""

from __future__ import annotations

import unicodedata

import pytest
from test_grid import SIZE, GridApp, cell_at, col
from test_grid_model import example_model
from textual import events
from textual.pilot import Pilot

from vledger.tui.grid.view import Grid

NAMED = {"-": "minus", " ": "space"}


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Every key into the app's input queue with no pause between, then wait for quiet."""
    type_now(pilot, *keys)
    for _ in range(3):  # every hand-off between the grid and its editor settles
        await pilot.pause()


def type_now(pilot: Pilot[None], *keys: str) -> None:
    """Every key into the app's input queue with no pause between, as a terminal delivers
    a fast typist's keys; the app has not read any of them yet."""
    app = pilot.app
    driver = app._driver  # the headless driver: where a terminal's bytes would arrive
    assert driver is not None
    for key in keys:
        character = key if len(key) == 1 else None
        if key == "space":
            character = " "
        name = NAMED.get(key, key)
        if len(key) == 1 and not key.isalnum() and key not in NAMED:
            name = unicodedata.name(key).lower().replace(" ", "_")
        event = events.Key(name, character)
        event.set_sender(app)
        driver.send_message(event)


@pytest.fixture
def app() -> GridApp:
    return GridApp(example_model())


async def test_f2_clear_digits_enter_in_one_burst(app: GridApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.pause()
        await burst(pilot, "f2", "ctrl+u", "9", "9", "enter")
        assert not grid.editing
        assert cell_at(grid, 0, "participants") == 99
        assert grid.cursor_row == 1  # Enter committed and moved down
        assert app.focused is grid


async def test_f2_appends_to_the_old_text_in_one_burst(app: GridApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "note"))
        before = grid.model.display(grid.cursor_row_id, "note")  # type: ignore[arg-type]
        await pilot.pause()
        await burst(pilot, "f2", "a", "b", "enter")
        assert cell_at(grid, 0, "note") == before + "ab"


async def test_typed_digit_starts_an_edit_and_the_rest_follow_in_one_burst(
    app: GridApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.pause()
        await burst(pilot, "9", "9", "enter")
        assert not grid.editing
        assert cell_at(grid, 0, "participants") == 99
        assert grid.cursor_row == 1


async def test_tab_commits_moves_right_and_typing_goes_on_in_the_next_cell(
    app: GridApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(1, col(grid, "participants"))
        await pilot.pause()
        await burst(pilot, "4", "2", "tab", "是", "enter")
        assert not grid.editing
        assert cell_at(grid, 1, "participants") == 42
        assert cell_at(grid, 1, "fixed") is True  # the column right of participants
        assert (grid.cursor_row, grid.cursor_col) == (2, col(grid, "fixed"))


async def test_a_whole_row_typed_in_one_burst(app: GridApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "attended"))
        await pilot.pause()
        keys = ("否", "tab", "x", "enter", "up", "b", "enter", "down", "down", "c", "enter")
        await burst(pilot, *keys)
        assert cell_at(grid, 0, "attended") is False
        assert cell_at(grid, 0, "note") == "b"  # up went back up; b replaced the x
        assert cell_at(grid, 3, "note") == "c"
        news = [m.new for m in app.of(Grid.CellEdited)]  # type: ignore[attr-defined]
        assert news == [False, "x", "b", "c"]


async def test_escape_in_a_burst_cancels_and_later_keys_are_commands_again(
    app: GridApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        before = cell_at(grid, 0, "participants")
        await pilot.pause()
        await burst(pilot, "f2", "ctrl+u", "5", "escape", "down")
        assert not grid.editing
        assert cell_at(grid, 0, "participants") == before
        assert grid.cursor_row == 1  # down after Esc moved the cursor: not typed into a cell
        assert not app.of(Grid.CellEdited)
        assert app.focused is grid


async def test_refused_value_in_a_burst_keeps_the_editor_and_the_keys_after_it(
    app: GridApp,
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.pause()
        await burst(pilot, "x", "enter", "backspace", "6", "enter")
        assert len(app.of(Grid.EditRefused)) == 1
        assert not grid.editing
        assert cell_at(grid, 0, "participants") == 6


async def test_pilot_press_sequences_commit_the_typed_values(app: GridApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.press("f2", "ctrl+u", "9", "9", "enter")
        assert cell_at(grid, 0, "participants") == 99
        await pilot.press("9", "8", "tab", "是", "enter")
        assert cell_at(grid, 1, "participants") == 98 and cell_at(grid, 1, "fixed") is True
        await pilot.press("up", "up", "f2", "ctrl+u", "1", "escape")
        assert cell_at(grid, 0, "participants") == 99 and not grid.editing
