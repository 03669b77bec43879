"""The grid's painter: renders only the visible lines of a Grid's model (Line API on a
ScrollView, toolong style) through an LRU cache of row strips, with the header row and the
first column frozen. Widths are terminal cells (CJK is two a character), never len().

The body knows its grid only as `GridState`, the few things it paints from and reports to,
so the grid (which composes the body) is the only one of the two that imports the other.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import ClassVar, Protocol

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.strip import Strip

from vledger.tui.grid.model import GridModel
from vledger.tui.grid.row_view import RowView
from vledger.tui.textual_compat import SteadyScrollView

NUMERIC = ("int", "decimal")
CACHE_LINES = 512


def fit(text: str, width: int, right: bool = False) -> str:
    """`text` in exactly `width` cells: cut with an ellipsis, or padded."""
    text = text.replace("\n", " ").replace("\t", " ")
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - size)
    return pad + text if right else text + pad


class GridState(Protocol):
    """What the body reads from the grid that owns it, and the two things it tells it."""

    model: GridModel
    view: RowView
    widths: list[int]  # per column, in terminal cells, without the padding and separator
    cursor_row: int
    cursor_col: int
    search_pattern: str

    def sync_model(self, force: bool = False) -> None:
        """Catch up with the model before a line is painted."""

    def place_editor(self) -> None:
        """The body scrolled: the cell editor follows its cell."""

    def click_at(self, x: int, y: int) -> None:
        """A click at (x, y) in the body's cells."""


class GridBody(SteadyScrollView, can_focus=False):
    """Paints the grid's visible lines; all state lives on the owning Grid."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "grid--header", "grid--cursor", "grid--deleted", "grid--unsynced",
        "grid--conflict", "grid--match", "grid--separator", "grid--moved",
    }
    DEFAULT_CSS = """
    GridBody { height: 1fr; }
    GridBody > .grid--header { text-style: bold; background: $panel; }
    GridBody > .grid--cursor { text-style: reverse; }
    GridBody > .grid--deleted { text-style: dim strike; }
    GridBody > .grid--unsynced { color: ansi_yellow; text-style: bold; }
    GridBody > .grid--conflict { color: ansi_bright_red; text-style: bold underline; }
    GridBody > .grid--match { text-style: underline; color: $accent; }
    GridBody > .grid--separator { color: $foreground-darken-3; }
    GridBody > .grid--moved { color: ansi_magenta; text-style: bold; }
    """

    def __init__(self, grid: GridState) -> None:
        super().__init__()
        self.grid = grid
        self.lines_rendered = 0  # render_line calls, for tests and the bench
        self._cache: OrderedDict[tuple[str, int], tuple[Strip, Strip]] = OrderedDict()
        self._styles: dict[str, Style] | None = None
        self._styles_checked = False

    def clear_cache(self) -> None:
        self._cache.clear()

    def forget(self, row_ids: Iterable[str]) -> None:
        """Drop the cached lines of these rows (their cells or marks changed)."""
        gone = set(row_ids)
        for key in [key for key in self._cache if key[0] in gone]:
            del self._cache[key]

    def notify_style_update(self) -> None:
        # Textual says so on every focus change in the grid (the editor opening and
        # closing: twice an edit), mostly with the same styles: the cached lines are
        # dropped only if the styles they were painted with changed (`_check_styles`).
        super().notify_style_update()
        self._styles_checked = False

    def _check_styles(self) -> None:
        if self._styles_checked and self._styles is not None:
            return
        self._styles_checked = True
        base = self.rich_style
        styles = {"base": base}
        for cls in self.COMPONENT_CLASSES:
            styles[cls] = base + self.get_component_rich_style(cls, partial=True)
        if styles != self._styles:
            if self._styles is not None:
                self.refresh()  # every line shown was painted with the old styles
            self._styles = styles
            self._cache.clear()

    def style_of(self, name: str) -> Style:
        self._check_styles()
        assert self._styles is not None
        return self._styles[name]

    @property
    def data_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def render_line(self, y: int) -> Strip:
        self.lines_rendered += 1
        grid = self.grid
        grid.sync_model()
        self._check_styles()
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.style_of("base")
        rows = grid.view.rows()
        index = scroll_y + y - 1
        if y == 0:
            frozen, rest = self._header()
        elif index < len(rows):
            frozen, rest = self._row(rows[index], index)
        else:
            return Strip.blank(width, base)
        room = max(0, width - frozen.cell_length)
        line = Strip.join([frozen, rest.crop(scroll_x, scroll_x + room)])
        return line.crop(0, width).extend_cell_length(width, base)

    def _header(self) -> tuple[Strip, Strip]:
        grid, style = self.grid, self.style_of("grid--header")
        cells = []
        for c, column in enumerate(grid.model.columns):
            title = column.title
            if grid.view.sort_column == column.id:
                title += "▼" if grid.view.sort_descending else "▲"
            sep = "┃" if c == 0 else "│"
            cells.append([Segment(" " + fit(title, grid.widths[c]) + " " + sep, style)])
        return self._split(cells)

    def _row(self, row_id: str, index: int) -> tuple[Strip, Strip]:
        grid = self.grid
        cursor = grid.cursor_col if index == grid.cursor_row else -1
        key = (row_id, cursor)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        model, needle = grid.model, grid.search_pattern.casefold()
        deleted = model.is_deleted(row_id)
        plain = self.style_of("grid--deleted" if deleted else "base")
        sep_style = self.style_of("grid--separator")
        cells = []
        for c, column in enumerate(model.columns):
            text = model.display(row_id, column.id)
            style = plain
            if needle and needle in text.casefold():
                style = style + self.style_of("grid--match")
            if c == cursor:
                style = style + self.style_of("grid--cursor")
            marks = model.marks(row_id, column.id)
            marker, marker_style = " ", style
            if "conflict" in marks:
                marker, marker_style = "!", style + self.style_of("grid--conflict")
                style = style + Style(underline=True)
            elif "unsynced" in marks:
                marker, marker_style = "*", style + self.style_of("grid--unsynced")
            elif "moved" in marks:  # differs from the published sheet (ranking)
                marker, marker_style = "~", style + self.style_of("grid--moved")
            body = " " + fit(text, grid.widths[c], column.type in NUMERIC)
            cells.append([
                Segment(body, style), Segment(marker, marker_style),
                Segment("┃" if c == 0 else "│", sep_style),
            ])
        strips = self._split(cells)
        self._cache[key] = strips
        if len(self._cache) > CACHE_LINES:
            self._cache.popitem(last=False)
        return strips

    @staticmethod
    def _split(cells: list[list[Segment]]) -> tuple[Strip, Strip]:
        frozen = Strip(cells[0]) if cells else Strip([])
        return frozen, Strip([s for cell in cells[1:] for s in cell])

    def watch_scroll_x(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_x(old_value, new_value)
        self.grid.place_editor()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.grid.place_editor()

    def on_click(self, event: events.Click) -> None:
        self.grid.click_at(event.x, event.y)
