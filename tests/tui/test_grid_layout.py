"""The grid's column geometry (tui/grid/layout.py), without a terminal."""

from __future__ import annotations

from vledger.tui.grid.layout import (
    MAX_WIDTH,
    column_at,
    column_left,
    column_widths,
    scroll_to_show,
    total_width,
)
from vledger.tui.grid.model import GridColumn

WIDTHS = [6, 4, 10, 8]  # each column takes 3 more cells: space, mark, separator


def test_a_column_is_as_wide_as_its_hint_or_title_in_cells_up_to_the_maximum() -> None:
    columns = [GridColumn("a", "村名", "text", 2), GridColumn("b", "x", "int", 8),
               GridColumn("c", "note", "text", 500)]
    assert column_widths(columns) == [5, 8, MAX_WIDTH]  # 村名 is 4 cells, plus one


def test_the_first_column_is_frozen_and_the_rest_scroll() -> None:
    assert total_width(WIDTHS) == 28 + 4 * 3
    assert column_left(WIDTHS, 0, scroll_x=5) == 0
    assert column_left(WIDTHS, 2, scroll_x=0) == 9 + 7
    assert column_left(WIDTHS, 2, scroll_x=5) == 9 + 7 - 5


def test_a_click_lands_in_the_column_under_it() -> None:
    assert column_at(WIDTHS, 0, 0) == 0
    assert column_at(WIDTHS, 8, 0) == 0
    assert column_at(WIDTHS, 9, 0) == 1
    assert column_at(WIDTHS, 9, 7) == 2  # column 1 scrolled away behind the frozen one
    assert column_at(WIDTHS, 500, 0) == 3


def test_scrolling_shows_the_cursor_cell_and_moves_no_more_than_needed() -> None:
    assert scroll_to_show(WIDTHS, 3, 0, (0, 0), rows_shown=10, body_width=40) == (0, 0)
    assert scroll_to_show(WIDTHS, 15, 0, (0, 0), rows_shown=10, body_width=40) == (0, 6)
    assert scroll_to_show(WIDTHS, 2, 0, (0, 6), rows_shown=10, body_width=40) == (0, 2)
    # 20 cells beside the frozen column; column 3 ends at 7 + 13 + 11 = 31: shown from
    # the start of a column (0, 7 or 20), the first from which it fits
    assert scroll_to_show(WIDTHS, 0, 3, (0, 0), rows_shown=10, body_width=29) == (20, 0)
    assert scroll_to_show(WIDTHS, 0, 1, (20, 0), rows_shown=10, body_width=29) == (0, 0)
    assert scroll_to_show(WIDTHS, 0, 2, (0, 0), rows_shown=10, body_width=25) == (7, 0)
