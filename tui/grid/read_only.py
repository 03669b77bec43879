"""The Grid with its data commands switched off, over a TableModel: the ranking sheet,
history, blame, conflicts and sync screens show their lists with it.

A language switch re-titles the columns in place (`ReadOnlyGrid.retitle`): the screen keeps
its model and its cursor, and refills the rows whose texts depend on the language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from textual import events

from vledger.tui.commands import GRID_COMMANDS, Command
from vledger.tui.grid.layout import column_widths
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.table_model import TableModel
from vledger.tui.grid.view import Grid
from vledger.tui.textual_compat import set_bindings

# Grid commands that change data make no sense on a computed or read-only list.
# Tab moves between cells only where cells are filled in; on a list it moves the focus.
READ_ONLY_BLOCKED = frozenset(
    {"add_row", "delete_row", "restore_row", "toggle_deleted", "undo", "redo", "next_cell",
     "previous_cell"}
)


class ReadOnlyGrid(Grid):
    """The Grid with its data commands switched off; typing does not start an edit, and
    Enter is labelled for what it does here (open the row or the number's explanation)."""

    def __init__(
        self, model: TableModel, *, lang: str = "zh",
        enter: str | None = "cmd.enter.explain", id: str | None = None,
    ) -> None:
        # `enter`: the catalogue id of what Enter does on a row here; None: nothing.
        super().__init__(model, lang=lang, id=id)
        self.enter_title = enter
        set_bindings(self, [c.binding(self.lang) for c in self.commands()])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in READ_ONLY_BLOCKED or (action == "edit" and self.enter_title is None):
            return False
        return super().check_action(action, parameters)

    def start_edit(self, initial: str | None = None) -> None:
        """Enter on a row does what `enter` names here (the screen hears CellActivated):
        nothing on this list is edited, so it never says "this column cannot be edited"."""
        row_id = self.cursor_row_id
        if row_id is not None and not self.editing and self.model.columns:
            self.post_message(self.CellActivated(self, row_id, self.cursor_column_id))

    def commands(self) -> tuple[Command, ...]:
        """The grid's commands without editing; Enter named for what it does here."""
        out = []
        for c in GRID_COMMANDS:
            if c.action in READ_ONLY_BLOCKED:
                continue
            if c.name == "edit-cell":
                if self.enter_title is None:
                    continue
                c = replace(c, said=self.enter_title)
            out.append(c)
        return tuple(out)

    def set_lang(self, lang: str) -> None:
        super().set_lang(lang)
        # Grid.set_lang binds every grid key; this grid offers only its read-only ones.
        set_bindings(self, [c.binding(self.lang) for c in self.commands()])
        self.refresh_bindings()

    def retitle(self, columns: Sequence[GridColumn], lang: str | None = None) -> None:
        """Show `columns` (same ids, new titles), in `lang` when given; rows stay."""
        model = self.model
        assert isinstance(model, TableModel)
        model.set_columns(columns)
        self.widths = column_widths(model.columns)
        self.cursor_col = min(self.cursor_col, max(0, len(model.columns) - 1))
        if lang is not None and lang != self.lang:
            self.set_lang(lang)
        else:
            self.refresh_model()

    async def on_key(self, event: events.Key) -> None:
        if self.searching or self.editing:
            return  # Grid's own handler closes the search box on Esc
        if event.is_printable and event.key not in self.screen.active_bindings:
            event.prevent_default()  # no "typing starts an edit" on a computed sheet
