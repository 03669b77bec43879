"""The ledger / sheet grid: the GridViewer (tui/grid/viewer.py: cursor, scrolling, status,
search, sort, filter) with typing, the in-cell editor (and a choice column's pick list) and
the data commands, each undoable. On an editable cell a printable key starts an edit.

Keys go through a KeyOrder (tui/grid/key_order.py): a burst is handled in the order typed
while focus moves between the grid, its editor and its search box, and the screen's keys
run in that order too. The screen hears of every change by message (tui/grid/messages.py).
"""

from __future__ import annotations

from typing import TypeAlias

from textual import events
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from vledger.messages import localize, say
from vledger.tui.commands import GRID_COMMANDS, GridCommand, grid_bindings
from vledger.tui.grid import messages
from vledger.tui.grid.choice_list import ChoiceList
from vledger.tui.grid.editor import CellEditor
from vledger.tui.grid.key_order import EndOfTurn, KeyOrder, QuitAsked, Typed, retype
from vledger.tui.grid.model import GridModel
from vledger.tui.grid.search_box import SearchBox
from vledger.tui.grid.undo import CommandStack, DataCommand
from vledger.tui.grid.viewer import GridViewer
from vledger.tui.textual_compat import (
    bound_to,
    report_refresh,
    set_bindings,
    set_focus_quietly,
)


class Grid(GridViewer):
    """A keyboard-driven grid over a GridModel. Keys and commands: tui/commands.py."""

    DEFAULT_CSS = """
    Grid { height: 1fr; }
    Grid > #grid-status { height: auto; max-height: 4; background: $panel; }
    Grid > #grid-status.-refused { background: $error; color: $text; }
    Grid > #grid-search { height: 1; display: none; }
    """

    # The messages it posts (tui/grid/messages.py), by the names screens know them as.
    CellEdited: TypeAlias = messages.CellEdited
    EditRefused: TypeAlias = messages.EditRefused
    RowAdded: TypeAlias = messages.RowAdded
    RowDeleted: TypeAlias = messages.RowDeleted
    RowRestored: TypeAlias = messages.RowRestored
    Undone: TypeAlias = messages.Undone
    Redone: TypeAlias = messages.Redone
    CursorMoved: TypeAlias = messages.CursorMoved
    CellActivated: TypeAlias = messages.CellActivated

    def __init__(
        self, model: GridModel, *, lang: str = "zh", show_deleted: bool = False,
        name: str | None = None, id: str | None = None, classes: str | None = None,
    ) -> None:
        super().__init__(model, lang=lang, show_deleted=show_deleted, name=name, id=id,
                         classes=classes)
        self.stack = CommandStack(model)
        self._editing: tuple[str, str, str] | None = None  # row, column, text when opened
        self.refusal = ""  # why the column refused the last value committed
        # Per instance so the footer speaks `lang`; binding ids let an app keymap rebind.
        set_bindings(self, grid_bindings(self.lang))
        self.editor = CellEditor(self.lang, id="grid-editor")
        self.choice_list = ChoiceList(id="grid-choices")
        # Keys for the grid and its editor are handled one at a time in the order typed,
        # however fast they come (tui/grid/key_order.py).
        self.key_order = KeyOrder(self._typed, self._pass_up)
        self.editor.key_order = self.key_order
        self.editor.deliver = self._editor_said
        self.search_box.key_order = self.key_order
        self.search_box.deliver = self._search_delivered

    def compose(self) -> ComposeResult:
        # The editor and its pick list first: Textual numbers the painting order of a
        # container's children from its last child on, so children that come and go
        # after the others (the editor opens and closes on every edit) renumber the rest,
        # and a renumbered child is repainted whole as if it had moved: the body, its
        # scroll bars and the status line, for a one-cell change. Both lie over the body
        # (`overlay: screen`), whose painting order this does not change.
        yield self.editor
        yield self.choice_list
        yield from super().compose()

    # Textual runs every class's on_mount, this one first: GridViewer's then syncs the model.
    def on_mount(self) -> None:
        self.key_order.begin(self)

    # ---- public API ---------------------------------------------------------------------

    @property
    def editing(self) -> bool:
        return self._editing is not None

    def commands(self) -> tuple[GridCommand, ...]:
        """Every grid command, for the app's command palette (name, keys, help, action)."""
        return GRID_COMMANDS

    async def run_command(self, name: str) -> None:
        command = next(c for c in GRID_COMMANDS if c.name == name)
        await self.run_action(command.action)

    def set_lang(self, lang: str) -> None:
        """Re-label the footer keys, the editor, the status line and the search box."""
        lang = "zh" if lang == "zh" else "en"
        set_bindings(self, grid_bindings(lang))
        self.editor.set_lang(lang)
        super().set_lang(lang)

    # ---- editing ---------------------------------------------------------------------

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
        self._show_choices()
        self.place_editor()
        self._focus_now(self.editor)
        self.refresh_bindings()

    def _focus_now(self, widget: Widget) -> None:
        """Move focus at once (Widget.focus() waits a turn of the app's queue, and keys read
        meanwhile went to the old widget) and tell the KeyOrder where the keys go now."""
        screen = self.screen
        old = screen.focused
        set_focus_quietly(screen, widget)
        if screen.focused is widget and old is not widget:
            mine = old in (self, self.editor, self.search_box)
            self.key_order.moved(old if mine else None, widget)

    def move_focus(self, widget: Widget) -> None:
        self._focus_now(widget)

    def _search_delivered(self, message: Message) -> None:
        if isinstance(message, SearchBox.Done | SearchBox.Cancelled):
            self.search_said(message)

    def place_editor(self) -> None:
        if not self.editing:
            return
        x, y = self.cell_origin()
        body = self.body.scrollable_content_region
        width = max(self.widths[self.cursor_col] + 2, 16)
        x = max(0, min(x, body.width - width))
        self.editor.styles.width = width
        y = max(1, min(y, body.height - 1))
        self.editor.styles.offset = (x, y)
        if self.choice_list.display:
            shown = min(len(self.choice_list.shown), 8)
            below = y + 1 + shown <= body.height + 1
            self.choice_list.styles.offset = (x, y + 1 if below else max(0, y - shown))

    def _show_choices(self) -> None:
        """Under the editor of a choice column, what the typed text can stand for (the
        model reads it as the value parser does; tui/grid/choice_list.py)."""
        find = getattr(self.model, "choices_for", None)
        if self._editing is None or find is None:
            self._hide_choices()
            return
        _row_id, column_id, before = self._editing
        typed = self.editor.value
        found: list[str] | None = find(column_id, typed)
        choices = self.model.columns[self.cursor_col].choices
        if found is None or not self.choice_list.offer(choices, found, typed, before):
            self._hide_choices()
            return
        self.editor.picking = True
        self.place_editor()

    def _hide_choices(self) -> None:
        self.choice_list.hide()
        self.editor.picking = False

    def _editor_said(self, message: Message) -> None:
        if isinstance(message, CellEditor.Step):
            self.choice_list.step(message.by)
        elif isinstance(message, CellEditor.Done):
            self.on_cell_editor_done(message)
        elif isinstance(message, CellEditor.Cancelled):
            self.on_cell_editor_cancelled(message)

    def on_cell_editor_done(self, message: CellEditor.Done) -> None:
        message.stop()
        self.commit_edit(message.move)

    def commit_edit(self, move: str | None = "down") -> bool:
        """Store what the editor holds; False (the editor stays open, the reason on the
        status line) when the column refuses it. `move`: where the cursor goes after.

        Down goes to the row that was below the edited one when Enter was pressed: in a
        sorted or filtered view the edited row may move away or leave the view, and the
        clerk goes on with the next row they saw, not next to wherever it went. Right and
        left stay on the edited row, wherever it went."""
        if self._editing is None:
            return True
        row_id, column_id, _before = self._editing
        rows, index = self.view.rows(), self.cursor_row
        below = rows[index + 1] if index + 1 < len(rows) else None
        text = self.editor.value
        picked = self.choice_list.picked
        if picked is not None:  # the choice highlighted in the pick list
            text = picked
        try:
            command = self.stack.edit_cell(row_id, column_id, text)
        except ValueError as problem:
            reason = self.refusal = self._reason(problem)
            self.editor.refuse()
            self.update_status(reason, refused=True)
            self.post_message(self.EditRefused(self, row_id, column_id, text, reason))
            return False
        self._close_editor()
        if command is not None:
            self.post_message(self.CellEdited(self, row_id, column_id, command.old, command.new))
        self._view_changed()
        if move == "down":
            found = self.view.index_of(below)
            self.move_to(found if found is not None else index + 1)
        elif move is not None:
            self.move_to(self.cursor_row, self.cursor_col + (1 if move == "right" else -1))
        warn = getattr(self.model, "warning", None)  # accepted, but will not count as meant
        said = warn(row_id, column_id) if warn is not None else None
        if said is not None:
            self.update_status(localize(said, self.lang), refused=True)
        return True

    def on_cell_editor_cancelled(self, message: CellEditor.Cancelled) -> None:
        message.stop()
        self._close_editor()
        self.update_status()

    def _close_editor(self) -> None:
        self._editing = None
        self._hide_choices()
        self.editor.close()
        self._focus_now(self)
        self.refresh_bindings()

    def _reason(self, problem: ValueError) -> str:
        return localize(problem, self.lang)

    # ---- keys, in the order typed -------------------------------------------------------

    async def on_key(self, event: events.Key) -> None:
        if await self.key_order.key(self, event):
            event.stop()
            event.prevent_default()

    async def on_paste(self, event: events.Paste) -> None:
        if await self.key_order.key(self, event):
            event.stop()

    async def on_end_of_turn(self, message: EndOfTurn) -> None:
        await self.key_order.end_of_turn(self)

    def quit_asked(self) -> None:
        """Ctrl+Q (the app asks): taken in typing order, after the keys typed before it."""
        self.post_message(QuitAsked())

    async def on_quit_asked(self, message: QuitAsked) -> None:
        message.stop()
        await self.key_order.key(self, message)

    async def _typed(self, event: Typed) -> bool:
        """One key or paste, in typing order (`_handle_typed`); then the screen hears at
        once of every part of the grid it changed, so one frame shows them all."""
        try:
            return await self._handle_typed(event)
        finally:
            report_refresh(self, self.body, self.status, self.search_box, self.editor,
                           self.choice_list)

    async def _handle_typed(self, event: Typed) -> bool:
        """One key or paste: into the open editor or search box, else a grid command run
        here and now (not after the key bubbled up to the app, by which time later keys
        were already handled), else a command of the screen or the app, also now, else a
        printable character that starts an edit."""
        if isinstance(event, QuitAsked):
            await self._quit()
            return True
        if self._editing is not None:
            value = self.editor.value
            taken = await self.editor.type_key(event)
            if self._editing is not None and self.editor.value != value:
                self._show_choices()
            return taken
        if self.searching:
            return await self.search_box.type_key(event)
        if self.app.screen is not self.screen:
            # A key before this one opened another screen (a picker, help, home): this
            # key was typed for it, not for the grid under it.
            await retype(self.app, event)
            return True
        if isinstance(event, events.Paste):
            if event.text:
                self.start_edit(event.text.splitlines()[0])
            return bool(event.text)
        if event.key == "escape" and self.cancel_one():
            return True
        for binding in bound_to(self, event.key):
            if self.check_action(binding.action, ()) is False:
                return False  # off here (a read-only grid): the screen may have the key
            await self.run_action(binding.action)
            return True
        if self._bound_above(event.key):
            await self._pass_up(event)
            return True
        if event.is_printable and event.character:
            self.start_edit(event.character)
            return True
        return False

    async def _quit(self) -> None:
        """Ctrl+Q: a value being typed is stored first (the clerk typed it to keep it); one
        the column refuses keeps the app open with why: quitting would drop it unsaid."""
        if self._editing is not None and not self.commit_edit(None):
            said = say(self.lang, "ui.grid.quit-refused", reason=self.refusal)
            return self.update_status(said, refused=True)
        self.app.exit()

    def _bound_above(self, key: str) -> bool:
        """A screen or app command key is that command, not the start of an edit."""
        return any(bound_to(node, key) for node in self.ancestors)

    async def _pass_up(self, event: Typed) -> None:
        """A key that waited its turn and neither the grid nor the editor wanted: run the
        binding an ancestor (screen, app) has for it, as the app would have done."""
        if not isinstance(event, events.Key):
            return
        for node in self.ancestors:
            if not isinstance(node, Widget | App):
                continue  # (every ancestor is one: a container, the screen or the app)
            for binding in bound_to(node, event.key):
                if not binding.priority:  # priority bindings ran before the key came here
                    await node.run_action(binding.action)
                    return

    # ---- data commands (bound in tui/commands.py), each undoable ------------------------

    def action_edit(self) -> None:
        self.start_edit()

    def _refused(self, problem: ValueError) -> None:
        self.update_status(self._reason(problem), refused=True)

    async def action_add_row(self) -> None:
        # A model over the office waits for the store to name the row; the keys typed
        # after this one wait their turn meanwhile (KeyOrder), the screen does not.
        add_async = getattr(self.model, "add_row_async", None)
        try:
            if add_async is not None:
                command = self.stack.added(await add_async())
            else:
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
        self, command: DataCommand | None, message: type[messages.Undone | messages.Redone],
        empty: str,
    ) -> None:
        if command is None:
            self.update_status(self.text[empty])
            return
        self.post_message(message(self, command))
        self._row_id = command.row_id
        self._view_changed()
        self.move_to_row_id(command.row_id, command.column_id)
