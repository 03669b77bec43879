"""Conflicts (冲突): every open conflict, one line per competing value with whose it is and
when; Enter keeps the value under the cursor (the history service writes a recorded
resolve). Above the list the conflict under the cursor is said whole, in names: the
village, the program, the row by its date and first cells, the column, and each competing
value with its office's name, who and when (tui/screens/cell_words.py), so it reads at 80
columns as at 120.

The list follows the data: the app hears when some document moved (a sync arrived, another
screen or process edited) and the conflicts are read again on the office's worker. The
history service caches each document's conflicts by its heads, so that read is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.domain.history import Conflict, ConflictValue
from vledger.errors import VledgerError
from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.table_model import TableModel, text_column
from vledger.tui.grid.view import Grid
from vledger.tui.i18n import t
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.cell_words import NO_WORDS, LedgerWords, read_cell_words
from vledger.tui.screens.history_text import problem_text, show_time, show_value

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

CONFLICT_COMMANDS: tuple[Command, ...] = (
    Command("keep-value", "", "keep", "cmd.keep-value", words="resolve settle keep 解决 冲突 保留"),
    Command("refresh-conflicts", "f5", "reload", "cmd.refresh-conflicts", show=True),
    Command("close-conflicts", "escape", "close", "cmd.close-conflicts", show=True,
            key_display="Esc"),
)


def conflict_columns(lang: str) -> list[GridColumn]:
    """At 80 columns: which cell (village and column), the value, whether it shows now,
    whose and when; then the row, the program and the ids, scrolled to."""
    return [
        text_column("where", say(lang, "ui.conflicts.col.cell"), 15),
        text_column("value", say(lang, "ui.conflicts.col.value"), 16),
        text_column("shown", say(lang, "ui.conflicts.col.shown"), 3),
        text_column("who", say(lang, "ui.conflicts.col.who"), 11),
        text_column("at", say(lang, "ui.history.col.time"), 16),
        text_column("row", say(lang, "ui.history.col.row"), 24),
        text_column("program", say(lang, "ui.history.col.program"), 22),
        text_column("edit", say(lang, "ui.conflicts.col.edit"), 10),
        text_column("conflict", say(lang, "ui.conflicts.col.conflict"), 11),
    ]


def is_shown(conflict: Conflict, value: ConflictValue) -> bool:
    return value.value == conflict.shown and type(value.value) is type(conflict.shown)


def conflict_rows(conflicts: Sequence[Conflict], lang: str,
                  words: LedgerWords | None = None) -> list[tuple[str, dict[str, str]]]:
    """One grid row per competing value, keyed `conflict/edit`."""
    words = words or NO_WORDS
    rows: list[tuple[str, dict[str, str]]] = []
    for conflict in conflicts:
        cell = words.cell(conflict.cell, lang)
        for value in conflict.values:
            office = words.names.get(value.office, value.office)
            rows.append((f"{conflict.id}/{value.edit}", {
                "where": f"{cell.village} {cell.column}",
                "value": show_value(value.value, lang, conflict.column),
                "shown": "●" if is_shown(conflict, value) else "",
                "who": f"{office} {value.user}".strip(), "at": show_time(value.at),
                "row": cell.row, "program": cell.program,
                "edit": value.edit, "conflict": conflict.id,
            }))
    return rows


def conflict_text(conflict: Conflict, lang: str, words: LedgerWords | None = None) -> str:
    """The whole of one conflict above the list, whatever the terminal's width: where the
    cell is, then each competing value in full with whose and when it is."""
    words = words or NO_WORDS
    cell = words.cell(conflict.cell, lang)
    lines = [say(lang, "ui.conflicts.cell", village=cell.village, program=cell.program,
                 row=cell.row, column=cell.column)]
    for value in conflict.values:
        office = words.names.get(value.office, value.office)
        lines.append(say(lang, "ui.conflicts.value-line",
                         mark="●" if is_shown(conflict, value) else "○",
                         value=show_value(value.value, lang, conflict.column),
                         who=f"{office} {value.user}".strip(), at=show_time(value.at)))
    return "\n".join(lines)


class ConflictsScreen(OfficeScreen):
    """Open conflicts; Enter keeps the value under the cursor and settles its conflict."""

    SCREEN_COMMANDS = CONFLICT_COMMANDS
    DEFAULT_CSS = """
    ConflictsScreen #conflicts-status { height: auto; background: $panel; }
    ConflictsScreen #conflicts-cell { height: auto; padding: 0 1; color: $text; }
    ConflictsScreen #conflicts-status.-refused { background: $error; }
    """

    def __init__(self, office: Office, /, lang: str = "zh", **filters: Any) -> None:
        super().__init__(office, lang)
        self.params = dict(filters)
        self.conflicts: list[Conflict] = []
        self.words = NO_WORDS  # how the conflicts' cells read (read with them)
        self.message = ""  # what was done last (a settle), shown before the count
        self._asked = 0
        self.model = TableModel(conflict_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter="cmd.enter.keep-this",
                                 id="conflicts-grid")

    def commands(self) -> tuple[Command, ...]:
        return (*CONFLICT_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="conflicts-status", markup=False)
        yield Static("", id="conflicts-cell", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        self.set_status(t(self.lang, "working"))
        self.reload()
        self.grid.focus()

    def reload(self, message: str = "") -> None:
        """Find the open conflicts on the worker: every journal is read (seconds when big)."""
        self._load(message)

    def _load(self, message: str, settle: tuple[str, str] | None = None) -> None:
        self._asked += 1
        number = self._asked

        settled = self._settled_text(settle) if settle is not None else ""

        def job(office: Office) -> tuple[list[Conflict], LedgerWords, str]:
            said = message
            if settle is not None:
                office.history.resolve(settle[0], keep=settle[1])
                said = settled
            conflicts = office.history.conflicts()
            return conflicts, read_cell_words(office, [c.cell for c in conflicts]), said

        def read(found: tuple[list[Conflict], LedgerWords, str]) -> None:
            if number == self._asked or settle is not None:
                self._show(*found)

        def refused(problem: VledgerError) -> None:  # not allowed, or settled by a sync
            self.set_status(problem_text(problem, self.lang), True)

        self.ask(job, read, failed=refused, write=settle is not None)

    def _settled_text(self, settle: tuple[str, str]) -> str:
        conflict_id, edit = settle
        conflict = next((c for c in self.conflicts if c.id == conflict_id), None)
        if conflict is None:
            return say(self.lang, "ui.conflicts.settled", cell=conflict_id, value="")
        cell = self.words.cell(conflict.cell, self.lang)
        kept = next((v.value for v in conflict.values if v.edit == edit), None)
        return say(self.lang, "ui.conflicts.settled", cell=f"{cell.village} {cell.column}",
                   value=show_value(kept, self.lang, conflict.column))

    def _show(self, conflicts: list[Conflict], words: LedgerWords, message: str) -> None:
        self.conflicts = conflicts
        self.words = words
        self.message = message
        self.show_conflicts()

    @on(Grid.CursorMoved, "#conflicts-grid")
    def cursor_moved(self, event: Grid.CursorMoved) -> None:
        self.show_cell()

    def show_cell(self) -> None:
        """The conflict under the cursor, whole: village, program, row, column, shown."""
        row_id = self.grid.cursor_row_id
        conflict_id = row_id.split("/", 1)[0] if row_id else None
        conflict = next((c for c in self.conflicts if c.id == conflict_id), None)
        box = self.query_one("#conflicts-cell", Static)
        box.display = conflict is not None
        if conflict is not None:
            box.update(conflict_text(conflict, self.lang, self.words))

    def label(self) -> None:
        if self.grid.lang != self.lang:  # a language switch: titles, values and status
            self.grid.retitle(conflict_columns(self.lang), self.lang)
            self.show_conflicts()

    def show_conflicts(self) -> None:
        self.model.set_rows(conflict_rows(self.conflicts, self.lang, self.words))
        self.grid.refresh_model()
        self.show_cell()
        message = self.message
        count = len(self.conflicts)
        text = (say(self.lang, "ui.conflicts.open", count=count) if count
                else say(self.lang, "ui.conflicts.none"))
        self.set_status(f"{message}  {text}" if message else text)

    def store_changed(self, change: StoreChange) -> None:
        if change.offices:
            self.when_quiet("read", lambda: self.reload(self.message))

    def set_status(self, text: str, refused: bool = False) -> None:
        status = self.query_one("#conflicts-status", Static)
        status.update(text)
        status.set_class(refused, "-refused")

    @on(Grid.CellActivated, "#conflicts-grid")
    def keep_row(self, event: Grid.CellActivated) -> None:
        event.stop()
        self.keep(event.row_id)

    def keep(self, row_id: str) -> None:
        """Settle the conflict of this grid row with its value (a recorded resolve)."""
        conflict_id, edit = row_id.split("/", 1)
        self.set_status(t(self.lang, "working"))
        self._load("", (conflict_id, edit))

    def action_keep(self) -> None:
        row_id = self.grid.cursor_row_id
        if row_id is not None:
            self.keep(row_id)

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
