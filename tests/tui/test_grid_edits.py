"""An edit touches one row: the view re-places that row only (not all 20,000), the grid
repaints that row's line only, and what shows is still what ordering every row afresh and
painting every line would show: sorted, filtered, undone, or changed behind its back."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from test_grid import GridApp, big_model, col
from test_grid_model import example_model, safety_program
from textual.strip import Strip

from vledger.domain.program import CellValue
from vledger.tui.grid.model import MemoryLedgerModel
from vledger.tui.grid.row_view import RowView
from vledger.tui.grid.view import Grid

SIZE = (100, 30)
KINDS = safety_program().column("kind").choices
DATES = (None, "2026-01-05", "2026-03-01", "2026-03-01", "2026-07-20")


def fresh(view: RowView) -> list[str]:
    """The rows `view` shows, ordered afresh from the model."""
    other = RowView(view.model, show_deleted=view.show_deleted)
    other.sort(view.sort_column, view.sort_descending)
    other.filter(view.filter_column, view.filter_text)
    return list(other.rows())


def random_edit(model: MemoryLedgerModel, rng: random.Random) -> None:
    row = rng.choice(list(model.row_ids()))
    what = rng.randrange(5)
    if what == 0:  # few values: many rows order equal, as a sort sees them
        model.write(row, "participants", rng.choice((None, 0, 3, 3, 7, 12)))
    elif what == 1:  # moves the row in the model's own (date) order
        model.write(row, "date", rng.choice(DATES))
    elif what == 2:
        model.write(row, "kind", rng.choice((None, *KINDS)))
    elif model.is_deleted(row):
        model.restore_row(row)
    else:
        model.delete_row(row)


@settings(max_examples=40, deadline=None)
@given(
    sort=st.sampled_from((None, "participants", "date", "kind", "note")),
    descending=st.booleans(),
    filtered=st.booleans(),
    show_deleted=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_a_view_kept_up_row_by_row_shows_what_ordering_afresh_shows(
    sort: str | None, descending: bool, filtered: bool, show_deleted: bool, seed: int
) -> None:
    model, rng = example_model(), random.Random(seed)
    view = RowView(model, show_deleted=show_deleted)
    view.sort(sort, descending)
    if filtered:
        view.filter("kind", "例会")
    assert list(view.rows()) == fresh(view)
    ordered = view.ordered
    for _ in range(25):
        random_edit(model, rng)
        assert list(view.rows()) == fresh(view)
    assert view.ordered == ordered  # every edit re-placed its row: nothing ordered whole


def test_a_date_edit_moves_its_row_in_the_model_s_order() -> None:
    model, rng = example_model(), random.Random(7)
    created = sorted(model.row_ids())  # (counter ids: creation order)
    for _ in range(30):
        model.write(rng.choice(created), "date", rng.choice(DATES))
        dates = {r: model.value(r, "date") for r in created}
        expected = sorted(created, key=lambda r: (dates[r] is None, str(dates[r] or "")))
        assert list(model.row_ids()) == expected


def test_the_model_names_the_rows_each_change_touched() -> None:
    model = example_model()
    first, second = model.row_ids()[:2]
    start = model.version
    assert model.rows_changed_since(start) == frozenset()
    model.write(first, "participants", 5)
    model.delete_row(second)
    assert model.rows_changed_since(start) == {first, second}
    assert model.rows_changed_since(start + 1) == {second}
    model.mark_synced()  # every row's marks: not some rows any more
    assert model.rows_changed_since(start) is None
    assert model.rows_changed_since(model.version) == frozenset()
    model.add_row()
    assert model.rows_changed_since(model.version - 1) is None


# ---- on screen ----------------------------------------------------------------------------


def paint_log(grid: Grid, strips: dict[int, Strip] | None = None) -> dict[int, str]:
    """What the body last painted on each of its lines (0: the header), as the screen
    got it: a line Textual did not ask for again keeps its old text here (and its old
    strip in `strips`)."""
    painted: dict[int, str] = {}
    render = grid.body.render_line

    def recording(y: int) -> Strip:
        strip = render(y)
        painted[y] = strip.text
        if strips is not None:
            strips[y] = strip
        return strip

    grid.body.render_line = recording  # type: ignore[assignment, method-assign]
    return painted


def shown_at(grid: Grid, painted: dict[int, str], row_id: str) -> str:
    """The text last painted on `row_id`'s line ("" if it was not painted again)."""
    index = grid.view.index_of(row_id)
    assert index is not None
    return painted.get(index - grid.body.scroll_offset.y + 1, "")


def values(grid: Grid, column_id: str) -> list[CellValue]:
    return [grid.model.value(r, column_id) for r in grid.view.rows()]


async def test_enter_repaints_the_edited_line_and_the_cursor_s_only() -> None:
    app = GridApp(big_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(3, col(grid, "participants"))
        await pilot.pause()
        painted = paint_log(grid)
        row_id, ordered = grid.cursor_row_id, grid.view.ordered
        assert row_id is not None
        await pilot.press("4", "2", "1")
        await pilot.pause()
        grid.body.lines_rendered = 0
        await pilot.press("enter")
        await pilot.pause()
        assert grid.model.value(row_id, "participants") == 421
        assert " 421" in shown_at(grid, painted, row_id)
        assert grid.cursor_row == 4
        # the edited line and the cursor's new line; not the screen, not 20,000 rows
        assert grid.body.lines_rendered <= 3
        assert grid.view.ordered == ordered


async def test_an_edit_to_the_sorted_column_re_sorts_and_enter_goes_on_below() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "participants"))
        await pilot.press("left_square_bracket")  # sort ascending
        await pilot.pause()
        painted = paint_log(grid)
        rows = list(grid.view.rows())
        edited, below, ordered = rows[1], rows[2], grid.view.ordered
        biggest = max(v for v in values(grid, "participants") if isinstance(v, int))
        grid.move_to(1)
        await pilot.press(*str(biggest + 1), "enter")
        await pilot.pause()
        filled = [v for v in values(grid, "participants") if v is not None]
        assert filled == sorted(filled)  # the view is still what its header says
        assert grid.view.index_of(edited) == len(filled) - 1  # the last with a number
        assert list(grid.view.rows()) == fresh(grid.view)
        # the clerk goes on with the row they saw under the one they typed into
        assert grid.cursor_row_id == below and grid.cursor_row == 1
        assert f" {biggest + 1}" in shown_at(grid, painted, edited)
        assert grid.view.ordered == ordered
        # Tab stays on the edited row, wherever the value puts it
        await pilot.press("1", "tab")
        await pilot.pause()
        assert grid.cursor_row_id == below and grid.cursor_row == 0
        assert grid.cursor_col == col(grid, "participants") + 1


async def test_an_edit_that_leaves_the_filter_hides_the_row_and_enter_goes_on_below() -> None:
    app = GridApp(example_model())
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(0, col(grid, "kind"))
        kind = grid.model.display(grid.cursor_row_id or "", "kind")
        await pilot.press("ctrl+e")  # filter: this kind only
        await pilot.pause()
        painted = paint_log(grid)
        rows = list(grid.view.rows())
        other = next(k for k in KINDS if k != kind)
        await pilot.press("ctrl+u", *other, "enter")
        await pilot.pause()
        assert grid.model.value(rows[0], "kind") == other
        assert list(grid.view.rows()) == rows[1:]
        assert grid.cursor_row_id == rows[1] and grid.cursor_row == 0
        assert kind in shown_at(grid, painted, rows[1])


async def test_undo_and_redo_repaint_the_line() -> None:
    app = GridApp(big_model(2_000))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        grid.move_to(2, col(grid, "participants"))
        await pilot.pause()
        painted = paint_log(grid)
        row_id = grid.cursor_row_id
        assert row_id is not None
        before = grid.model.display(row_id, "participants")
        await pilot.press("7", "7", "7", "enter")
        await pilot.pause()
        assert " 777" in shown_at(grid, painted, row_id)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert f" {before}" in shown_at(grid, painted, row_id)
        assert " 777" not in shown_at(grid, painted, row_id)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert " 777" in shown_at(grid, painted, row_id)


async def test_a_change_made_behind_the_grid_s_back_shows_after_refresh_model() -> None:
    """What another process stored reaches a ledger model behind the grid's back (read
    again whole, or marks replaced); the screen then calls refresh_model."""
    model = big_model(2_000)
    app = GridApp(model)
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.pause()
        painted = paint_log(grid)
        first, second = list(grid.view.rows())[1:3]
        model.write(first, "note", "别处改的")
        model.set_conflict(second, "note")
        model.mark_synced()  # a change of every row: the grid cannot do it row by row
        grid.refresh_model()
        await pilot.pause()
        assert "别处改的" in shown_at(grid, painted, first)
        assert "!" in shown_at(grid, painted, second)


async def test_a_row_deleted_while_deleted_rows_show_is_repainted_struck_through() -> None:
    """The row stays where it is (no row moved, the cursor stays): only its line is
    painted again, now struck through."""
    app = GridApp(big_model(2_000))
    async with app.run_test(size=SIZE) as pilot:
        grid = app.query_one(Grid)
        await pilot.press("ctrl+t", "down", "down")  # deleted rows show
        await pilot.pause()
        strips: dict[int, Strip] = {}
        paint_log(grid, strips)
        row_id = grid.cursor_row_id
        await pilot.press("ctrl+d")
        await pilot.pause()
        assert grid.model.is_deleted(row_id or "") and grid.cursor_row_id == row_id
        line = strips.get(grid.cursor_row - grid.body.scroll_offset.y + 1)
        assert line is not None, "the deleted row's line was not painted again"
        assert any(s.style is not None and s.style.strike for s in line)
