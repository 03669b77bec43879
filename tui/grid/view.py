"""The ledger / sheet grid: a virtual, keyboard-driven view of a `GridModel`.

The Grid holds the state (cursor, view, undo stack, editor, search) and the commands;
painting is GridBody's (tui/grid_body.py), which renders only the lines on screen, so
20,000 rows cost what 30 do. Widths are measured in terminal cells, never with len().
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Static

from vledger.domain.program import CellValue
from vledger.tui.commands import GRID_COMMANDS, GridCommand, grid_bindings
from vledger.tui.grid.body import GridBody
from vledger.tui.grid.editor import CellEditor, EndOfTurn, KeyOrder, Typed
from vledger.tui.grid.model import CommandStack, DataCommand, GridModel, RowView
from vledger.tui.textual_compat import bound_to, set_bindings

MAX_WIDTH = 40

TEXT = {
    "zh": {
        "row": "行", "sorted": "排序", "filtered": "筛选", "deleted_shown": "显示已删除行",
        "search": "查找（回车确定，Esc 取消）", "no_match": "未找到“{}”",
        "read_only": "此列不可编辑", "row_deleted": "该行已删除，请先恢复（r）",
        "deleted": "已删除一行（u 撤销）", "not_deleted": "该行未删除",
        "nothing_to_undo": "没有可撤销的修改", "nothing_to_redo": "没有可重做的修改",
    },
    "en": {
        "row": "row", "sorted": "sorted by", "filtered": "filter", "deleted_shown":
        "showing deleted rows", "search": "search (Enter to find, Esc to cancel)",
        "no_match": "no match for “{}”", "read_only": "this column cannot be edited",
        "row_deleted": "this row is deleted: restore it first (r)",
        "deleted": "row deleted (u to undo)", "not_deleted": "this row is not deleted",
        "nothing_to_undo": "nothing to undo", "nothing_to_redo": "nothing to redo",
    },
}


@dataclass
class GridMessage(Message):
    """What every grid message carries; `control` lets screens use @on(..., "#id")."""

    grid: Grid

    @property
    def control(self) -> Grid:
        return self.grid


class Grid(Widget, can_focus=True):
    """A keyboard-driven grid over a GridModel. Keys and commands: tui/commands.py."""

    DEFAULT_CSS = """
    Grid { height: 1fr; }
    Grid > #grid-status { height: 1; background: $panel; }
    Grid > #grid-status.-refused { background: $error; color: $text; }
    Grid > #grid-search { height: 1; display: none; }
    """

    @dataclass
    class CellEdited(GridMessage):
        row_id: str
        column_id: str
        old: CellValue
        new: CellValue

    @dataclass
    class EditRefused(GridMessage):
        row_id: str
        column_id: str
        text: str
        reason: str  # in the grid's language

    @dataclass
    class RowAdded(GridMessage):
        row_id: str

    @dataclass
    class RowDeleted(GridMessage):
        row_id: str

    @dataclass
    class RowRestored(GridMessage):
        row_id: str

    @dataclass
    class Undone(GridMessage):
        command: DataCommand

    @dataclass
    class Redone(GridMessage):
        command: DataCommand

    @dataclass
    class CursorMoved(GridMessage):
        row_id: str | None
        column_id: str

    @dataclass
    class CellActivated(GridMessage):
        """Enter on a cell that cannot be edited (a sheet's computed column): drill down."""

        row_id: str
        column_id: str

    def __init__(
        self, model: GridModel, *, lang: str = "zh", show_deleted: bool = False,
        name: str | None = None, id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.lang = "zh" if lang == "zh" else "en"
        self.text = TEXT[self.lang]
        self.model = model
        self.stack = CommandStack(model)
        self.view = RowView(model, show_deleted=show_deleted)
        self.cursor_row = 0
        self.cursor_col = 0
        self.search_pattern = ""
        self.widths = [
            min(MAX_WIDTH, max(3, c.width, cell_len(c.title) + 1)) for c in model.columns
        ]
        self._row_id: str | None = None
        self._seen_key: tuple[object, ...] | None = None
        self._editing: tuple[str, str, str] | None = None  # row, column, text when opened
        # Per instance so the footer speaks `lang`; binding ids let an app keymap rebind.
        set_bindings(self, grid_bindings(self.lang))
        self.body = GridBody(self)
        self.editor = CellEditor(self.lang, id="grid-editor")
        # Keys for the grid and its editor are handled one at a time in the order typed,
        # however fast they come (tui/cell_editor.py, KeyOrder).
        self.key_order = KeyOrder(self._typed, self._pass_up)
        self.editor.key_order = self.key_order
        self.editor.deliver = self._editor_said
        self.status = Static("", id="grid-status")
        self.search_box = Input(compact=True, id="grid-search", placeholder=self.text["search"])

    def compose(self) -> ComposeResult:
        yield self.body
        yield self.status
        yield self.search_box
        yield self.editor

    def on_mount(self) -> None:
        self.key_order.begin(self)
        self.sync_model(force=True)
        self.update_status()

    # ---- public API ---------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        return self._editing is not None

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

    def commands(self) -> tuple[GridCommand, ...]:
        """Every grid command, for the app's command palette (name, keys, help, action)."""
        return GRID_COMMANDS

    async def run_command(self, name: str) -> None:
        command = next(c for c in GRID_COMMANDS if c.name == name)
        await self.run_action(command.action)

    def set_lang(self, lang: str) -> None:
        """Re-label the footer keys, the status line, the editor and the search box."""
        self.lang = "zh" if lang == "zh" else "en"
        self.text = TEXT[self.lang]
        if hasattr(self.model, "lang"):
            self.model.lang = self.lang  # bool cells read 是/否 or yes/no
        set_bindings(self, grid_bindings(self.lang))
        self.editor.set_lang(self.lang)
        self.search_box.placeholder = self.text["search"]
        self.refresh_model()
        self.refresh_bindings()

    def refresh_model(self) -> None:
        """Call after the model changed behind the grid's back (a sync merged edits)."""
        self.sync_model(force=True)
        self.body.refresh()
        self.update_status()

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
        self.post_message(self.CursorMoved(self, self._row_id, self.cursor_column_id))

    def move_to_row_id(self, row_id: str, column_id: str | None = None) -> None:
        index = self.view.index_of(row_id)
        col = None
        if column_id is not None:
            col = next(i for i, c in enumerate(self.model.columns) if c.id == column_id)
        if index is not None:
            self.move_to(index, col)

    # ---- keeping in step with the model -----------------------------------------------

    def sync_model(self, force: bool = False) -> None:
        """Drop cached lines and keep the cursor on its row when the model or view moved."""
        key = (self.model.version, self.view.show_deleted, self.view.sort_column,
               self.view.sort_descending, self.view.filter_column, self.view.filter_text,
               self.search_pattern)
        if key == self._seen_key and not force:
            return
        self._seen_key = key
        self.body.clear_cache()
        rows = self.view.rows()
        index = self.view.index_of(self._row_id)
        self.cursor_row = index if index is not None else max(0, min(self.cursor_row,
                                                                        len(rows) - 1))
        self._row_id = self.cursor_row_id
        width = sum(w + 3 for w in self.widths)
        self.body.virtual_size = Size(width, len(rows) + 1)

    def _view_changed(self) -> None:
        self.sync_model()
        self._scroll_to_cursor()
        self.body.refresh()
        self.update_status()

    def _scroll_to_cursor(self) -> None:
        body = self.body
        x, y = body.scroll_offset
        height = body.data_height
        if self.cursor_row < y:
            y = self.cursor_row
        elif self.cursor_row >= y + height:
            y = self.cursor_row - height + 1
        if self.cursor_col > 0:
            left = sum(w + 3 for w in self.widths[1:self.cursor_col])
            right = left + self.widths[self.cursor_col] + 3
            room = body.scrollable_content_region.width - self.widths[0] - 3
            if left < x:
                x = left
            elif right > x + room:
                x = min(left, right - room)
        if (x, y) != tuple(body.scroll_offset):
            body.scroll_to(x, y, animate=False)

    def cell_origin(self) -> tuple[int, int]:
        """Where the cursor cell starts, in cells from the body's top left corner."""
        x, y = self.body.scroll_offset
        left = 0
        if self.cursor_col > 0:
            left = self.widths[0] + 3 + sum(w + 3 for w in self.widths[1:self.cursor_col]) - x
        return left, self.cursor_row - y + 1

    def click_at(self, x: int, y: int) -> None:
        if y < 1 or self.editing:
            return
        sx, sy = self.body.scroll_offset
        edges, edge = [], 0
        for c, w in enumerate(self.widths):
            edge += w + 3
            edges.append(edge if c == 0 else edge - sx)
        col = next((c for c, e in enumerate(edges) if x < e), len(edges) - 1)
        self.move_to(sy + y - 1, col)

    def update_status(self, message: str = "", refused: bool = False) -> None:
        t, view = self.text, self.view
        parts = [f"{t['row']} {self.cursor_row + 1 if view.rows() else 0}/{len(view.rows())}"]
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
        self.status.set_class(refused, "-refused")
        self.status.update("  ".join(parts), layout=False)  # fixed size: no re-layout

    # ---- editing ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the editor or the search box is open, letters are typing, not commands.
        return not (self.editing or self.searching)

    def start_edit(self, initial: str | None = None) -> None:
        row_id = self.cursor_row_id
        if row_id is None or self.editing:
            return
        column = self.model.columns[self.cursor_col]
        if not column.editable:
            self.post_message(self.CellActivated(self, row_id, column.id))
            self.update_status(self.text["read_only"])
            return
        if self.model.is_deleted(row_id):
            self.update_status(self.text["row_deleted"], refused=True)
            return
        current = self.model.display(row_id, column.id)
        self._editing = (row_id, column.id, current)
        self.editor.open(current if initial is None else initial)
        self.place_editor()
        self._focus_now(self.editor)
        self.refresh_bindings()

    def _focus_now(self, widget: Widget) -> None:
        """Move focus at once (Widget.focus() waits a turn of the app's queue, and keys read
        meanwhile went to the old widget) and tell the KeyOrder where the keys go now."""
        screen = self.screen
        old = screen.focused
        screen.set_focus(widget)
        if screen.focused is widget and old is not widget:
            self.key_order.moved(old if old in (self, self.editor) else None, widget)

    def place_editor(self) -> None:
        if not self.editing:
            return
        x, y = self.cell_origin()
        body = self.body.scrollable_content_region
        width = max(self.widths[self.cursor_col] + 2, 16)
        x = max(0, min(x, body.width - width))
        self.editor.styles.width = width
        self.editor.styles.offset = (x, max(1, min(y, body.height - 1)))

    def _editor_said(self, message: Message) -> None:
        if isinstance(message, CellEditor.Done):
            self.on_cell_editor_done(message)
        elif isinstance(message, CellEditor.Cancelled):
            self.on_cell_editor_cancelled(message)

    def on_cell_editor_done(self, message: CellEditor.Done) -> None:
        message.stop()
        if self._editing is None:
            return
        row_id, column_id, _before = self._editing
        text = self.editor.value
        try:
            command = self.stack.edit_cell(row_id, column_id, text)
        except ValueError as problem:
            reason = self._reason(problem)
            self.editor.refuse()
            self.update_status(reason, refused=True)
            self.post_message(self.EditRefused(self, row_id, column_id, text, reason))
            return
        self._close_editor()
        if command is not None:
            self.post_message(self.CellEdited(self, row_id, column_id, command.old, command.new))
        self._view_changed()
        move = {"down": (1, 0), "right": (0, 1), "left": (0, -1)}[message.move]
        self.move_to(self.cursor_row + move[0], self.cursor_col + move[1])

    def on_cell_editor_cancelled(self, message: CellEditor.Cancelled) -> None:
        message.stop()
        self._close_editor()
        self.update_status()

    def _close_editor(self) -> None:
        self._editing = None
        self.editor.close()
        self._focus_now(self)
        self.refresh_bindings()

    def _reason(self, problem: ValueError) -> str:
        key = "message_zh" if self.lang == "zh" else "message"
        return str(getattr(problem, key, None) or problem)

    async def on_key(self, event: events.Key) -> None:
        if self.searching and event.key == "escape":
            event.stop()
            self._close_search()
            return
        if self.searching:
            return  # the search box's keys, bubbling up: its own bindings run at the app
        if await self.key_order.key(self, event):
            event.stop()
            event.prevent_default()

    async def on_paste(self, event: events.Paste) -> None:
        if await self.key_order.key(self, event):
            event.stop()

    async def on_end_of_turn(self, message: EndOfTurn) -> None:
        await self.key_order.end_of_turn(self)

    async def _typed(self, event: Typed) -> bool:
        """One key or paste, in typing order: into the open editor, else a grid command run
        here and now (not after the key bubbled up to the app, by which time later keys
        were already handled), else a printable character that starts an edit."""
        if self._editing is not None:
            return await self.editor.type_key(event)
        if self.searching:
            return False
        if isinstance(event, events.Paste):
            if event.text:
                self.start_edit(event.text.splitlines()[0])
            return bool(event.text)
        for binding in bound_to(self, event.key):
            if self.check_action(binding.action, ()) is False:
                return False  # off here (a read-only grid): the screen may have the key
            await self.run_action(binding.action)
            return True
        if event.is_printable and event.character and not self._bound_above(event.key):
            self.start_edit(event.character)
            return True
        return False

    def _bound_above(self, key: str) -> bool:
        """A screen or app command key is that command, not the start of an edit."""
        return any(bound_to(node, key) for node in self.ancestors)

    async def _pass_up(self, event: Typed) -> None:
        """A key that waited its turn and neither the grid nor the editor wanted: run the
        binding an ancestor (screen, app) has for it, as the app would have done."""
        if not isinstance(event, events.Key):
            return
        for node in self.ancestors:
            for binding in bound_to(node, event.key):
                if not binding.priority:  # priority bindings ran before the key came here
                    await node.run_action(binding.action)
                    return

    # ---- search ----------------------------------------------------------------------

    def _close_search(self) -> None:
        self.search_box.display = False
        self.status.display = True
        self.focus()
        self.refresh_bindings()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self.search_box:
            return
        event.stop()
        self.search_pattern = event.value
        self._close_search()
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
            self.update_status(self.text["no_match"].format(self.search_pattern), refused=True)
            return
        self.move_to(*found)

    # ---- actions (bound in tui/commands.py) ------------------------------------------

    def action_cursor_up(self) -> None:
        self.move_to(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_to(self.cursor_row + 1)

    def action_cursor_left(self) -> None:
        self.move_to(self.cursor_row, self.cursor_col - 1)

    def action_cursor_right(self) -> None:
        self.move_to(self.cursor_row, self.cursor_col + 1)

    def action_page_up(self) -> None:
        self.move_to(self.cursor_row - self.body.data_height)

    def action_page_down(self) -> None:
        self.move_to(self.cursor_row + self.body.data_height)

    def action_go_top(self) -> None:
        self.move_to(0)

    def action_go_bottom(self) -> None:
        self.move_to(len(self.view.rows()) - 1)

    def action_edit(self) -> None:
        self.start_edit()

    def _refused(self, problem: ValueError) -> None:
        self.update_status(self._reason(problem), refused=True)

    def action_add_row(self) -> None:
        try:
            command = self.stack.add_row()
        except ValueError as problem:  # a sheet has no free rows; the facade may refuse
            self._refused(problem)
            return
        self.post_message(self.RowAdded(self, command.row_id))
        self._view_changed()
        self.move_to_row_id(command.row_id, self.model.columns[0].id)

    def action_delete_row(self) -> None:
        row_id = self.cursor_row_id
        if row_id is None or self.model.is_deleted(row_id):
            return
        try:
            self.stack.delete_row(row_id)
        except ValueError as problem:
            self._refused(problem)
            return
        self.post_message(self.RowDeleted(self, row_id))
        self._view_changed()
        self.update_status(self.text["deleted"])

    def action_restore_row(self) -> None:
        row_id = self.cursor_row_id
        if row_id is None or not self.model.is_deleted(row_id):
            self.update_status(self.text["not_deleted"])
            return
        try:
            self.stack.restore_row(row_id)
        except ValueError as problem:
            self._refused(problem)
            return
        self.post_message(self.RowRestored(self, row_id))
        self._view_changed()

    def action_toggle_deleted(self) -> None:
        self.view.show_deleted = not self.view.show_deleted
        self._view_changed()

    def action_undo(self) -> None:
        try:
            command = self.stack.undo()
        except ValueError as problem:  # the facade refused to put the old value back
            self._refused(problem)
            return
        self._replay(command, self.Undone, "nothing_to_undo")

    def action_redo(self) -> None:
        try:
            command = self.stack.redo()
        except ValueError as problem:
            self._refused(problem)
            return
        self._replay(command, self.Redone, "nothing_to_redo")

    def _replay(
        self, command: DataCommand | None, message: type[Undone | Redone], empty: str
    ) -> None:
        if command is None:
            self.update_status(self.text[empty])
            return
        self.post_message(message(self, command))
        self._row_id = command.row_id
        self._view_changed()
        self.move_to_row_id(command.row_id, command.column_id)

    def action_search(self) -> None:
        self.status.display = False
        self.search_box.value = self.search_pattern
        self.search_box.display = True
        self.search_box.focus()
        self.refresh_bindings()

    def action_search_next(self) -> None:
        self._search(forward=True)

    def action_search_prev(self) -> None:
        self._search(forward=False)

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
