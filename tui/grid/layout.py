"""Where the grid's columns are, in terminal cells: how wide each is, where a column starts
on screen with the first column frozen, which column a click hits, and how far to scroll to
show the cursor. Plain arithmetic on widths, so it is tested without a terminal.

Widths are measured in terminal cells (a CJK character is two), never with len(). Each
column takes its width plus EXTRA cells: a space before the text, the conflict/unsynced
mark after it, and the separator (tui/grid/body.py paints them).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

from vledger.tui.grid.model import GridColumn

MAX_WIDTH = 40  # a long text column must not push every other column off an 80-cell screen
EXTRA = 3


def column_widths(columns: Sequence[GridColumn]) -> list[int]:
    """Each column's text width: its hint, at least its title, at most MAX_WIDTH."""
    return [min(MAX_WIDTH, max(3, c.width, cell_len(c.title) + 1)) for c in columns]


def total_width(widths: Sequence[int]) -> int:
    """All columns side by side, as wide as the body's virtual size."""
    return sum(w + EXTRA for w in widths)


def scroll_width(widths: Sequence[int]) -> int:
    """How wide the body scrolls: every column, and room for the last columns to be shown
    from a column's start (scroll_to_show scrolls by whole columns)."""
    return total_width(widths) + max(widths, default=0) + EXTRA


def column_left(widths: Sequence[int], col: int, scroll_x: int) -> int:
    """Where column `col` starts on screen; the first column is frozen at the left edge."""
    if col == 0:
        return 0
    return widths[0] + EXTRA + sum(w + EXTRA for w in widths[1:col]) - scroll_x


def column_at(widths: Sequence[int], x: int, scroll_x: int) -> int:
    """The column under screen cell `x` (the last one when right of every column)."""
    edges, edge = [], 0
    for c, w in enumerate(widths):
        edge += w + EXTRA
        edges.append(edge if c == 0 else edge - scroll_x)
    return next((c for c, e in enumerate(edges) if x < e), len(edges) - 1)


def scroll_to_show(
    widths: Sequence[int], row: int, col: int, scroll: tuple[int, int], rows_shown: int,
    body_width: int,
) -> tuple[int, int]:
    """The scroll offset (x, y) nearest to `scroll` that shows cell (row, col) whole.

    Sideways it scrolls by whole columns: the first column shown right of the frozen one
    starts at its left edge, with its title over it, never as a blank stub of its tail."""
    x, y = scroll
    if row < y:
        y = row
    elif row >= y + rows_shown:
        y = row - rows_shown + 1
    if col > 0:
        starts = [sum(w + EXTRA for w in widths[1:c]) for c in range(1, col + 1)]
        left = starts[-1]
        right = left + widths[col] + EXTRA
        room = body_width - widths[0] - EXTRA
        if left < x:
            x = left
        elif right > x + room:
            # the first column start from which the cursor's column shows whole
            x = next((start for start in starts if right - start <= room), left)
    return x, y
