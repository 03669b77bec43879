"""Blame (追溯): the chain of edits behind one cell's value, newest first (`vledger blame`).

Opened from any grid with Ctrl+B on the cell under the cursor, or with Enter on an edit in
the history. Read-only; the history service reads only the document that holds the cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.domain.history import JournalEntry
from vledger.errors import VledgerError
from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.table_model import TableModel, text_column
from vledger.tui.grid.view import Grid
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.history_text import op_name, problem_text, show_time, show_value

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

BLAME_COMMANDS: tuple[Command, ...] = (
    Command("close-blame", "escape", "close", "cmd.close-blame", show=True, key_display="Esc"),
)


def blame_columns(lang: str) -> list[GridColumn]:
    return [
        text_column("at", say(lang, "ui.history.col.time"), 16),
        text_column("office", say(lang, "ui.history.col.office"), 8),
        text_column("user", say(lang, "ui.blame.col.user"), 8),
        text_column("op", say(lang, "ui.history.col.op"), 6),
        text_column("old", say(lang, "ui.history.col.old"), 12),
        text_column("new", say(lang, "ui.history.col.new"), 12),
        text_column("id", say(lang, "ui.conflicts.col.edit"), 10),
    ]


class BlameScreen(OfficeScreen):
    """The chain of edits behind one cell's value, newest first."""

    SCREEN_COMMANDS = BLAME_COMMANDS
    DEFAULT_CSS = """
    BlameScreen #blame-title { height: auto; text-style: bold; background: $panel; }
    """

    def __init__(
        self, office: Office, lang: str = "zh", program: str = "", village: str = "",
        row: str = "", column: str = "",
    ) -> None:
        super().__init__(office, lang, program=program, village=village, row=row, column=column)
        self.cell = (program, village, row, column)
        self.chain: list[JournalEntry] = []
        self.problem: str | None = None
        self.read_done = False  # the chain has been read (on the office's worker)
        self.model = TableModel(blame_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter=None, id="blame-grid")

    def commands(self) -> tuple[Command, ...]:
        return (*BLAME_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="blame-title", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        self.grid.focus()
        cell = self.cell

        def read(chain: list[JournalEntry]) -> None:
            self.chain = chain
            self.read_done = True
            self.label()

        def refused(problem: VledgerError) -> None:  # a refusal: shown on the title line
            self.problem = problem_text(problem, self.lang)
            self.read_done = True
            self.label()

        self.ask(lambda office: office.history.blame(*cell), read, failed=refused)

    def store_changed(self, change: StoreChange) -> None:
        if change.touches(self.cell[1], self.facts.me.township):
            self.when_quiet("read", self.on_mount)

    def label(self) -> None:
        """Title, column titles and rows in `self.lang` (on mount and on a language switch)."""
        if self.grid.lang != self.lang:
            self.grid.retitle(blame_columns(self.lang), self.lang)
        program, village, row, column = self.cell
        rows = []
        for entry in self.chain:
            rows.append((entry.id, {
                "at": show_time(entry.at), "office": entry.office, "user": entry.user,
                "op": op_name(entry.op, self.lang),
                "old": show_value(entry.old, self.lang, column),
                "new": show_value(entry.new, self.lang, column), "id": entry.id,
            }))
        self.model.set_rows(rows)
        self.grid.refresh_model()
        title = self.query_one("#blame-title", Static)
        where = f"{program} · {village} · {row} · {column}"
        if not self.read_done:
            title.update(say(self.lang, "ui.working"))
        elif self.problem is not None:
            title.update(self.problem)
        elif not self.chain:
            title.update(say(self.lang, "ui.blame.none", cell=where))
        else:
            now = show_value(self.chain[0].new, self.lang, column)
            title.update(say(self.lang, "ui.blame.chain", cell=where, now=now,
                             count=len(self.chain)))

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
