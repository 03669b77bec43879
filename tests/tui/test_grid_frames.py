"""What an edit sends to the terminal: the few cells it changed, in one frame.

Focus goes to the cell editor and back on every edit; Textual repaints on a focus move far
more than changed (the whole screen, the grid, the body's scroll bars), which was most of
an Enter's time. These count the screen lines each frame after a key sends.
"""

from __future__ import annotations

from typing import Any

from rich.console import RenderableType
from test_grid import GridApp, big_model, col
from textual.pilot import Pilot
from textual.screen import Screen

from vledger.tui.grid.body import GridBody
from vledger.tui.grid.view import Grid
from vledger.tui.grid.viewer import focus_reaches_inside

SIZE = (100, 30)


class FramesApp(GridApp):
    """Keeps, for every frame it sends, the screen lines the frame paints."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.frames: list[set[int]] = []

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        spans = getattr(renderable, "spans", None)  # a partial update: (y, x1, x2)
        if spans is not None:
            self.frames.append({y for y, _x1, _x2 in spans})
        elif renderable is not None:  # the whole screen
            self.frames.append(set(range(self.size.height)))


async def frames_of(app: FramesApp, pilot: Pilot[None], *keys: str) -> list[set[int]]:
    """The lines each frame painted after `keys` were pressed and the app settled."""
    await pilot.pause()
    app.frames.clear()
    await pilot.press(*keys)
    await pilot.pause()
    await pilot.pause()
    return list(app.frames)


class CountedBody(GridBody):
    restyled = 0

    def notify_style_update(self) -> None:
        super().notify_style_update()
        CountedBody.restyled += 1


async def test_focus_moving_in_the_grid_restyles_only_what_its_focus_can_style(
    monkeypatch: Any,
) -> None:
    """Textual restyles a widget and all its parts when its focus changes; nothing in the
    grid is styled by the grid's focus, so its body is left as it is (restyling it also
    repainted its scroll bars)."""
    monkeypatch.setattr("vledger.tui.grid.viewer.GridBody", CountedBody)
    app = FramesApp(big_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(3, col(grid, "participants"))
        await pilot.pause()
        CountedBody.restyled = 0
        await pilot.press("4", "enter")
        await pilot.pause()
        assert app.focused is grid and grid.cursor_row == 4
        assert CountedBody.restyled == 0


class FocusStyledApp(FramesApp):
    CSS = "Grid:focus > GridBody { background: red; }"


async def test_a_style_by_the_grid_s_focus_still_follows_the_focus() -> None:
    app = FocusStyledApp(big_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        focused = grid.body.styles.background
        await pilot.press("4")
        await pilot.pause()
        assert app.focused is grid.editor
        assert grid.body.styles.background != focused
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is grid and grid.body.styles.background == focused


async def test_which_rules_style_parts_by_a_widget_s_focus() -> None:
    class Styled(FramesApp):
        CSS = """
        .other:focus GridBody { color: red; }
        Grid { &:focus { color: red; } }
        OptionList:focus > .option-list--option-highlighted { color: red; }
        """

    class ByFocus(FramesApp):
        CSS = ".ledger-grid { &:focus-within { GridBody { color: red; } } }"

    for cls, expected in ((Styled, False), (ByFocus, True)):
        app = cls(big_model(100))
        async with app.run_test(size=SIZE) as pilot:
            grid = app.query_one(Grid)
            grid.add_class("ledger-grid")
            await pilot.pause()
            assert focus_reaches_inside(grid, app.stylesheet.rules) is expected, cls


def line_on_screen(grid: Grid, row: int) -> int:
    return grid.body.region.y + 1 + row - grid.body.scroll_offset.y


async def test_an_edit_repaints_the_edited_cell_the_cursor_and_the_status_only() -> None:
    """Not the whole screen (Textual repaints it on a focus move), nor the body and its
    scroll bars (when the editor opens or closes, Textual lays the screen out again)."""
    app = FramesApp(big_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(3, col(grid, "participants"))
        edited, below = line_on_screen(grid, 3), line_on_screen(grid, 4)
        status = grid.status.region.y
        frames = await frames_of(app, pilot, "4")
        assert frames and set().union(*frames) <= {edited, status}
        frames = await frames_of(app, pilot, "enter")
        assert frames and set().union(*frames) <= {edited, below, status}
        assert grid.model.value(grid.view.rows()[3], "participants") == 4
        assert grid.cursor_row == 4


async def test_one_frame_shows_all_that_a_key_changed() -> None:
    """The editor closing, the value in its cell, the cursor's move and the status line
    come in one frame, not the editor's part first and the rest a frame or more later
    (each part of the grid told the screen when its own queue next ran empty)."""
    app = FramesApp(big_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.editor.cursor_blink = False  # a blink is a frame of its own
        grid.move_to(3, col(grid, "participants"))
        edited, below = line_on_screen(grid, 3), line_on_screen(grid, 4)
        status = grid.status.region.y
        for _ in range(5):
            await frames_of(app, pilot, "4")
            frames = await frames_of(app, pilot, "enter")
            assert frames[0] == {edited, below, status}
            edited, below = below, below + 1
