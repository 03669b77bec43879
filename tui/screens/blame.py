"""Blame (追溯): the chain of edits behind one cell's value, newest first (`vledger blame`).

Opened from any grid with Ctrl+B on the cell under the cursor, or with Enter on an edit in
the history. Read-only; the history service reads only the document that holds the cell.
A cell in conflict has one value per office that changed it concurrently, each with its own
chain: every chain is shown (numbered ①②…, the shown value's first; edits before the fork
belong to all), so the clerk sees how each competing value came about before settling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
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
from vledger.tui.screens.cell_words import NO_WORDS, LedgerWords, read_cell_words
from vledger.tui.screens.history_text import op_name, problem_text, show_time, show_value

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

BLAME_COMMANDS: tuple[Command, ...] = (
    Command("close-blame", "escape", "close", "cmd.close-blame", show=True, key_display="Esc"),
)


BRANCH_MARKS = "①②③④⑤⑥⑦⑧⑨⑩"


def blame_columns(lang: str) -> list[GridColumn]:
    """At 80 columns every column but the edit's id shows."""
    return [
        text_column("branch", say(lang, "ui.blame.col.branch"), 4),
        text_column("at", say(lang, "ui.history.col.time"), 16),
        text_column("who", say(lang, "ui.conflicts.col.who"), 12),
        text_column("op", say(lang, "ui.history.col.op"), 6),
        text_column("old", say(lang, "ui.history.col.old"), 10),
        text_column("new", say(lang, "ui.history.col.new"), 10),
        text_column("id", say(lang, "ui.conflicts.col.edit"), 10),
    ]


def branch_mark(index: int) -> str:
    return BRANCH_MARKS[index] if index < len(BRANCH_MARKS) else f"({index + 1})"


class BlameScreen(OfficeScreen):
    """The chain of edits behind one cell's value, newest first."""

    SCREEN_COMMANDS = BLAME_COMMANDS
    DEFAULT_CSS = """
    BlameScreen #blame-title { height: auto; text-style: bold; background: $panel; }
    BlameScreen #blame-edit { height: auto; max-height: 3; padding: 0 1; }
    """

    def __init__(
        self, office: Office, lang: str = "zh", program: str = "", village: str = "",
        row: str = "", column: str = "",
    ) -> None:
        super().__init__(office, lang, program=program, village=village, row=row, column=column)
        self.cell = (program, village, row, column)
        self.chains: list[list[JournalEntry]] = []  # one per competing value (else one)
        self.words = NO_WORDS
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
        yield Static("", id="blame-edit", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        self.grid.focus()
        cell = self.cell

        def job(office: Office) -> tuple[list[list[JournalEntry]], LedgerWords]:
            return office.history.blame_branches(*cell), read_cell_words(office, [cell])

        def read(found: tuple[list[list[JournalEntry]], LedgerWords]) -> None:
            self.chains, self.words = found
            self.read_done = True
            self.label()

        def refused(problem: VledgerError) -> None:  # a refusal: shown on the title line
            self.problem = problem_text(problem, self.lang)
            self.read_done = True
            self.label()

        self.ask(job, read, failed=refused)

    @property
    def chain(self) -> list[JournalEntry]:
        """The chain behind the value shown now."""
        return self.chains[0] if self.chains else []

    def store_changed(self, change: StoreChange) -> None:
        if change.touches(self.cell[1], self.facts.me.township):
            self.when_quiet("read", self.on_mount)

    def label(self) -> None:
        """Title, column titles and rows in `self.lang` (on mount and on a language switch)."""
        if self.grid.lang != self.lang:
            self.grid.retitle(blame_columns(self.lang), self.lang)
        column = self.cell[3]
        self.model.set_rows(self._rows())
        self.grid.refresh_model()
        self.show_edit()
        title = self.query_one("#blame-title", Static)
        words = self.words.cell(self.cell, self.lang)
        where = f"{words.program} · {words.village} · {words.row} · {words.column}"
        if not self.read_done:
            title.update(say(self.lang, "ui.working"))
        elif self.problem is not None:
            title.update(self.problem)
        elif not self.chain:
            title.update(say(self.lang, "ui.blame.none", cell=where))
        elif len(self.chains) == 1:
            now = show_value(self.chain[0].new, self.lang, column)
            title.update(say(self.lang, "ui.blame.chain", cell=where, now=now,
                             count=len(self.chain)))
        else:
            values = "  ".join(f"{branch_mark(i)} {show_value(c[0].new, self.lang, column)}"
                               for i, c in enumerate(self.chains) if c)
            title.update(say(self.lang, "ui.blame.branches", cell=where,
                             count=len(self.chains), values=values))

    @on(Grid.CursorMoved, "#blame-grid")
    def cursor_moved(self, event: Grid.CursorMoved) -> None:
        self.show_edit()

    def show_edit(self) -> None:
        """The edit under the cursor whole (the list cuts long values at 80 columns)."""
        row_id = self.grid.cursor_row_id
        box = self.query_one("#blame-edit", Static)
        box.display = row_id is not None
        if row_id is not None:
            shown = {c.id: self.model.display(row_id, c.id) for c in self.model.columns}
            box.update(say(self.lang, "ui.blame.edit", old=shown["old"], new=shown["new"],
                           who=shown["who"], at=shown["at"], op=shown["op"]))

    def _rows(self) -> list[tuple[str, dict[str, str]]]:
        """Each chain's edits in turn, newest first; an edit in several chains (made before
        they forked) once, marked with every chain it is in."""
        column = self.cell[3]
        several = len(self.chains) > 1
        marks: dict[str, str] = {}
        for index, chain in enumerate(self.chains):
            for entry in chain:
                marks[entry.id] = marks.get(entry.id, "") + branch_mark(index)
        rows: list[tuple[str, dict[str, str]]] = []
        shown: set[str] = set()
        for chain in self.chains:
            for entry in chain:
                if entry.id in shown:
                    continue
                shown.add(entry.id)
                office = self.words.names.get(entry.office, entry.office)
                rows.append((entry.id, {
                    "branch": marks[entry.id] if several else "",
                    "at": show_time(entry.at), "who": f"{office} {entry.user}".strip(),
                    "op": op_name(entry.op, self.lang),
                    "old": show_value(entry.old, self.lang, column),
                    "new": show_value(entry.new, self.lang, column), "id": entry.id,
                }))
        return rows

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
