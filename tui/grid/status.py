"""The line under the grid: which row of how many, the sort, the filter, whether deleted rows
show, and the last message (marked refused when the grid or the model refused something).
`TEXT` names what the grid says there and in its search box (the words live in the
message catalogue, `grid_text(lang)` says them).
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.cells import cell_len
from textual.widgets import Static

from vledger.messages import say
from vledger.tui.grid.row_view import RowView

# The grid's own words, by the short names the grid uses -> catalogue id (ui.grid.*).
TEXT = {
    "row": "ui.grid.row", "sorted": "ui.grid.sorted", "filtered": "ui.grid.filtered",
    "deleted_shown": "ui.grid.deleted-shown", "search": "ui.grid.search",
    "read_only": "ui.grid.read-only", "row_deleted": "ui.grid.row-deleted",
    "deleted": "ui.grid.deleted", "not_deleted": "ui.grid.not-deleted",
    "nothing_to_undo": "ui.grid.nothing-to-undo", "nothing_to_redo": "ui.grid.nothing-to-redo",
}


def grid_text(lang: str) -> dict[str, str]:
    """The grid's own words in `lang`, by the short names the grid uses."""
    return {name: say(lang, key) for name, key in TEXT.items()}


class GridStatus(Static):
    """The grid's status: one line, or as many as a message needs to be read whole (a
    refusal names the column, what it takes and what was typed; at 80 columns that is
    more than one line). The grid says what goes in it."""

    _lines = 1  # how many lines the last text needed: the layout is redone only on change

    def show(self, text: Mapping[str, str], view: RowView, cursor_row: int,
             message: str = "", refused: bool = False) -> None:
        """Where the cursor is in `view`, its sort and filter, after `message` if any."""
        t = text
        parts = [f"{t['row']} {cursor_row + 1 if view.rows() else 0}/{len(view.rows())}"]
        if view.sort_column:
            arrow = "▼" if view.sort_descending else "▲"
            parts.append(f"{t['sorted']} {view.column(view.sort_column).title}{arrow}")
        if view.filter_column:
            title = view.column(view.filter_column).title
            parts.append(f"{t['filtered']} {title}={view.filter_text}")
        if view.show_deleted:
            parts.append(t["deleted_shown"])
        if message:
            parts.insert(0, message)
        self.set_class(refused, "-refused")
        shown = "  ".join(parts)
        width = max(1, self.size.width)
        lines = sum(max(1, -(-cell_len(line) // width)) for line in shown.split("\n"))
        # A key that only moves the cursor keeps the status one line: no layout then.
        self.update(shown, layout=lines != self._lines or lines > 1)
        self._lines = lines
