"""The part of the grid that shows and moves: a virtual, keyboard-driven view of a
`GridModel` with its cursor, scrolling, status line, search, sort, filter and the deleted
toggle. `Grid` (tui/grid/view.py) builds on it with typing, the cell editor and the data
commands (add, delete, restore, undo, redo); only Grid is put on screens.

Painting is GridBody's (tui/grid/body.py), which renders only the lines on screen, so
20,000 rows cost what 30 do; column geometry is tui/grid/layout.py.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.css.model import CombinatorType, RuleSet, Selector
from textual.dom import DOMNode
from textual.geometry import Size
from textual.widget import Widget

from vledger.messages import say
from vledger.tui.grid import messages
from vledger.tui.grid.body import GridBody
from vledger.tui.grid.layout import (
    column_at,
    column_left,
    column_widths,
    scroll_to_show,
    scroll_width,
)
from vledger.tui.grid.model import GridModel, changed_rows
from vledger.tui.grid.row_view import RowView
from vledger.tui.grid.search_box import SearchBox
from vledger.tui.grid.status import GridStatus, grid_text

_FOCUS = frozenset({"focus", "focus-within"})


def focus_reaches_inside(node: DOMNode, rules: list[RuleSet]) -> bool:
    """Whether a rule can style something inside `node` by whether `node` has focus: a
    selector with :focus or :focus-within on a part that can be `node`, followed by more
    parts (`Grid:focus GridBody`, `.ledger-grid:focus > .x`)."""
    for rule in rules:
        for selector_set in rule.selector_set:
            compound: list[Selector] = []  # selectors written together, as `Grid:focus`
            for part in selector_set.selectors:
                if compound and part.combinator != CombinatorType.SAME:
                    if any(p.pseudo_classes & _FOCUS for p in compound) and all(
                            Selector(p.name, type=p.type).check(node) for p in compound):
                        return True
                    compound = []
                compound.append(part)
    return False


class GridViewer(Widget, can_focus=True):
    """State and moves of a grid over `model`: what GridBody paints from (its GridState)."""

    def __init__(
        self, model: GridModel, *, lang: str = "zh", show_deleted: bool = False,
        name: str | None = None, id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lang = "zh" if lang == "zh" else "en"
        self.text = grid_text(self.lang)
        self.model = model
        self.view = RowView(model, show_deleted=show_deleted)
        self.cursor_row = 0
        self.cursor_col = 0
        self.search_pattern = ""
        self.widths = column_widths(model.columns)
        self._row_id: str | None = None
        self._seen_state: tuple[object, ...] | None = None  # view state last painted from
        self._seen_version = 0  # the model's version last painted from
        self._seen_generation = -1  # the view's order last painted
        self._stale: set[str] | None = set()  # rows to repaint (None: every line)
        self._said: tuple[str, bool] = ("", False)  # the status line's message, refused
        # The app's rules, the grid's classes and whether its focus can style its parts
        self._focus_inside: tuple[list[RuleSet], frozenset[str], bool] | None = None
        self.body = GridBody(self)
        self.status = GridStatus("", id="grid-status")
        self.search_box = SearchBox(self.lang, id="grid-search")

    def compose(self) -> ComposeResult:
        yield self.body
        yield self.status
        yield self.search_box

    def on_mount(self) -> None:
        self.sync_model(force=True)
        self._repaint()
        self.update_status()

    # Focus comes and goes with every edit (to the cell editor and back), and Textual does
    # more on each move than the grid needs: its focus and blur handlers repaint the whole
    # widget (for widgets drawn differently with focus; the grid's own area is its body
    # and status line, drawn the same either way), and `has_focus` restyles the grid with
    # everything in it (for styles of the parts that depend on the grid's :focus), which
    # also repaints the body's scroll bars. Here the grid's own styles are applied again,
    # and its parts' only when a rule in the app's styles can depend on an ancestor's
    # focus; what a style change changes is still repainted.
    def on_focus(self, event: events.Focus) -> None:
        event.prevent_default()
        self.has_focus = True
        if self.parent is not None:
            self.parent.post_message(events.DescendantFocus(self))

    def on_blur(self, event: events.Blur) -> None:
        event.prevent_default()
        self.has_focus = False
        if self.parent is not None:
            self.parent.post_message(events.DescendantBlur(self))

    def watch_has_focus(self, has_focus: bool) -> None:
        stylesheet = self.app.stylesheet
        rules, classes = stylesheet.rules, frozenset(self.classes)
        seen = self._focus_inside
        if seen is None or seen[0] is not rules or seen[1] != classes:
            # Textual parses the styles into a new list when they change
            seen = self._focus_inside = (rules, classes, focus_reaches_inside(self, rules))
        if seen[2]:
            super().watch_has_focus(has_focus)
        else:
            stylesheet.update_nodes([self], animate=True)

    # ---- state ----------------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        """A cell editor is open (Grid has one; the viewer alone never edits)."""
        return False

    @property
    def searching(self) -> bool:
        return bool(self.search_box.display)

    @property
    def cursor_row_id(self) -> str | None:
        rows = self.view.rows()
        return rows[self.cursor_row] if 0 <= self.cursor_row < len(rows) else None

    @property
    def cursor_column_id(self) -> str:
        return self.model.columns[self.cursor_col].id

    def set_lang(self, lang: str) -> None:
        """Re-label the status line and the search box."""
        self.lang = "zh" if lang == "zh" else "en"
        self.text = grid_text(self.lang)
        if hasattr(self.model, "lang"):
            self.model.lang = self.lang  # bool cells read 是/否 or yes/no
        self.search_box.set_lang(self.lang)
        self.refresh_model()
        self.refresh_bindings()

    def refresh_model(self) -> None:
        """Call after the model changed behind the grid's back (a sync merged edits): the
        cursor stays on its row and on the same line of the screen (rows added or
        removed above it scroll the rest), and an open editor stays where it is, with
        what the clerk typed in it."""
        line = self.cursor_row - self.body.scroll_offset.y
        self.sync_model(force=True)
        top = self.cursor_row - line
        if line >= 0 and top != self.body.scroll_offset.y:
            self.body.scroll_to(y=max(0, top), animate=False, immediate=True)
        self._repaint()
        self.update_status(*self._said)  # a message stays: rows read again are no news
        self.place_editor()

    def move_to(self, row: int, col: int | None = None) -> None:
        rows = self.view.rows()
        old = self.cursor_row
        self.cursor_row = max(0, min(row, len(rows) - 1))
        if col is not None:
            self.cursor_col = max(0, min(col, len(self.model.columns) - 1))
        self._row_id = self.cursor_row_id
        self._scroll_to_cursor()
        self.body.refresh_line(old + 1)
        self.body.refresh_line(self.cursor_row + 1)
        self.update_status()
        self.post_message(messages.CursorMoved(self, self._row_id, self.cursor_column_id))

    def move_to_row_id(self, row_id: str, column_id: str | None = None) -> None:
        index = self.view.index_of(row_id)
        col = None
        if column_id is not None:
            col = next(i for i, c in enumerate(self.model.columns) if c.id == column_id)
        if index is not None:
            self.move_to(index, col)

    # ---- keeping in step with the model -----------------------------------------------

    def sync_model(self, force: bool = False) -> None:
        """Keep the cursor on its row when the model or view moved, and drop the cached
        lines that changed: those of the rows the model says it changed, when it can say
        and nothing else moved; every line otherwise. Which lines to paint again is kept
        for `_repaint`."""
        view = self.view
        state = (view.show_deleted, view.sort_column, view.sort_descending,
                 view.filter_column, view.filter_text, self.search_pattern)
        version = self.model.version
        if not force and state == self._seen_state and version == self._seen_version:
            return
        changed = None
        if not force and state == self._seen_state:
            changed = changed_rows(self.model, self._seen_version)
        self._seen_state, self._seen_version = state, version
        rows = view.rows()
        if changed is None or view.generation != self._seen_generation:
            self._stale = None  # rows moved: every line shows another row now
        elif self._stale is not None:
            self._stale |= changed
        self._seen_generation = view.generation
        if changed is None:
            self.body.clear_cache()
        else:
            self.body.forget(changed)
        index = view.index_of(self._row_id)
        self.cursor_row = index if index is not None else max(0, min(self.cursor_row,
                                                                        len(rows) - 1))
        self._row_id = self.cursor_row_id
        self.body.virtual_size = Size(scroll_width(self.widths), len(rows) + 1)

    def _repaint(self) -> None:
        """Paint again what `sync_model` found changed: every line, or only those of the
        rows changed (a typed value repaints its own line, not the screen)."""
        stale, self._stale = self._stale, set()
        if stale is None:
            self.body.refresh()
            return
        for row_id in stale:
            index = self.view.index_of(row_id)
            if index is not None:
                self.body.refresh_line(index + 1)

    def _view_changed(self) -> None:
        self.sync_model()
        self._scroll_to_cursor()
        self._repaint()
        self.update_status()

    def _scroll_to_cursor(self) -> None:
        body = self.body
        scroll = (body.scroll_offset.x, body.scroll_offset.y)
        x, y = scroll_to_show(self.widths, self.cursor_row, self.cursor_col, scroll,
                              body.data_height, body.scrollable_content_region.width)
        if (x, y) != scroll:
            body.scroll_to(x, y, animate=False)

    def cell_origin(self) -> tuple[int, int]:
        """Where the cursor cell starts, in cells from the body's top left corner."""
        x, y = self.body.scroll_offset
        return column_left(self.widths, self.cursor_col, x), self.cursor_row - y + 1

    def place_editor(self) -> None:
        """The body scrolled: Grid moves its open cell editor along; nothing to move here."""

    def click_at(self, x: int, y: int) -> None:
        if y < 1 or self.editing:
            return
        sx, sy = self.body.scroll_offset
        self.move_to(sy + y - 1, column_at(self.widths, x, sx))

    def update_status(self, message: str = "", refused: bool = False) -> None:
        self._said = (message, refused)
        self.status.show(self.text, self.view, self.cursor_row, message, refused)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the editor or the search box is open, letters are typing, not commands.
        return not (self.editing or self.searching)

    def cancel_one(self) -> bool:
        """Esc undoes what is in progress on the grid before it leaves the screen: first
        the last search's marks, then a filter. False when there was nothing."""
        if self.search_pattern:
            self.search_pattern = ""
            self._view_changed()
            return True
        if self.view.filter_column is not None:
            self.view.filter(None)
            self._view_changed()
            return True
        return False

    # ---- search ----------------------------------------------------------------------

    def move_focus(self, widget: Widget) -> None:
        """Give `widget` (this grid or a part of it) the focus; Grid keeps its keys in order
        across the move."""
        widget.focus()

    def _close_search(self) -> None:
        self.search_box.display = False
        self.status.display = True
        self.move_focus(self)
        self.refresh_bindings()

    def search_said(self, said: SearchBox.Done | SearchBox.Cancelled) -> None:
        """Enter searches for what was typed, from the cursor on; Enter on an empty box
        stops searching (F3 repeats the last search, not Enter); Esc closes the box."""
        self._close_search()
        if isinstance(said, SearchBox.Cancelled):
            return
        self.search_pattern = said.text.strip()
        self._view_changed()
        self._search(forward=True, include_current=True)

    def _search(self, forward: bool, include_current: bool = False) -> None:
        if not self.search_pattern:
            return
        row, col = self.cursor_row, self.cursor_col
        if include_current:  # start just before the cursor so the cursor cell counts
            width = len(self.model.columns)
            flat = (row * width + col - 1) % max(1, width * len(self.view.rows()))
            row, col = divmod(flat, width)
        found = self.view.find(self.search_pattern, row, col, forward=forward)
        if found is None:
            self.update_status(say(self.lang, "ui.grid.no-match", pattern=self.search_pattern),
                               refused=True)
            return
        self.move_to(*found)

    def action_search(self) -> None:
        """Open the search box empty (what is typed is a new search), the last search
        shown as its hint."""
        self.status.display = False
        box = self.search_box
        box.value = ""
        box.placeholder = (say(self.lang, "ui.grid.search-last", pattern=self.search_pattern)
                           if self.search_pattern else self.text["search"])
        box.display = True
        self.move_focus(box)
        self.refresh_bindings()

    def action_search_next(self) -> None:
        self._search(forward=True)

    def action_search_prev(self) -> None:
        self._search(forward=False)

    # ---- moving and viewing (bound in tui/commands.py) ----------------------------------

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.move_to(self.cursor_row, self.cursor_col - 1)

    def action_cursor_right(self) -> None:
        self.move_to(self.cursor_row, self.cursor_col + 1)

    def action_next_cell(self) -> None:  # Tab, as while editing: this cell left as it is
        self.move_to(self.cursor_row, self.cursor_col + 1)

    def action_previous_cell(self) -> None:
        self.move_to(self.cursor_row, self.cursor_col - 1)

    def action_page_up(self) -> None:
        self.move_to(self.cursor_row - self.body.data_height)

    def action_page_down(self) -> None:
        self.move_to(self.cursor_row + self.body.data_height)

    def action_go_top(self) -> None:
        self.move_to(0)

    def action_go_bottom(self) -> None:
        self.move_to(len(self.view.rows()) - 1)

    def action_toggle_deleted(self) -> None:
        self.view.show_deleted = not self.view.show_deleted
        self._view_changed()

    def action_sort_asc(self) -> None:
        self._sort(descending=False)

    def action_sort_desc(self) -> None:
        self._sort(descending=True)

    def _sort(self, descending: bool) -> None:
        column_id, view = self.cursor_column_id, self.view
        again = view.sort_column == column_id and view.sort_descending == descending
        view.sort(None if again else column_id, descending)
        self._view_changed()

    def action_filter(self) -> None:
        row_id = self.cursor_row_id
        if self.view.filter_column is not None:
            self.view.filter(None)
        elif row_id is not None:
            self.view.filter(self.cursor_column_id, self.model.display(row_id,
                                                                       self.cursor_column_id))
        self._view_changed()
