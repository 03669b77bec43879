"""History (历史记录): the journal newest first, filtered by office, program, village and
time; Enter on an edit shows the blame of its cell (tui/screens/blame.py).

The conflicts list is tui/screens/conflicts.py. Nothing here knows about documents: the
office's history service reads, on the office's worker. The list follows the data: what
another process stores (a village's sync arriving, a command) is read again and shows
within two seconds, the cursor kept on its edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, Static

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
from vledger.tui.screens.blame import BlameScreen
from vledger.tui.screens.history_text import (
    op_name,
    parse_bound,
    problem_text,
    show_time,
    show_value,
)

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

FILTERS = ("office", "program", "village", "since", "until")

C = Command
HISTORY_COMMANDS: tuple[Command, ...] = (
    C("filter-history", "ctrl+f", "edit_filters", "cmd.filter-history", show=True,
      key_display="^f", words="history filter 历史 筛选"),
    C("clear-history-filters", "c", "clear_filters", "cmd.clear-history-filters"),
    C("blame-edit", "", "blame", "cmd.blame-edit", words="blame 追溯 谁改的"),
    C("refresh-history", "f5", "reload", "cmd.refresh-history", show=True),
    C("close-history", "escape", "close", "cmd.close-history", show=True, key_display="Esc"),
)
del C


def history_columns(lang: str) -> list[GridColumn]:
    return [
        text_column("at", say(lang, "ui.history.col.time"), 16),
        text_column("office", say(lang, "ui.history.col.office"), 6),
        text_column("op", say(lang, "ui.history.col.op"), 6),
        text_column("program", say(lang, "ui.history.col.program"), 10),
        text_column("village", say(lang, "ui.history.col.village"), 6),
        text_column("row", say(lang, "ui.history.col.row"), 8),
        text_column("column", say(lang, "ui.history.col.column"), 10),
        text_column("old", say(lang, "ui.history.col.old"), 10),
        text_column("new", say(lang, "ui.history.col.new"), 10),
        text_column("concurrent", say(lang, "ui.history.col.concurrent"), 8),
        text_column("late", say(lang, "ui.history.col.late"), 8),
    ]


def history_rows(
    records: Sequence[Mapping[str, Any]], lang: str
) -> list[tuple[str, dict[str, str]]]:
    rows: list[tuple[str, dict[str, str]]] = []
    for r in records:
        column = r["column"]
        rows.append((r["id"], {
            "at": show_time(r["at"]), "office": r["office"], "op": op_name(r["op"], lang),
            "program": r["program"], "village": r["village"], "row": r["row"],
            "column": column, "old": show_value(r["old"], lang, column),
            "new": show_value(r["new"], lang, column),
            "concurrent": ", ".join(r.get("concurrent_with") or ()),
            # made after the latest publication of a period it touches (通报)
            "late": say(lang, "publish.late.mark") if r.get("late") else "",
        }))
    return rows


class HistoryScreen(OfficeScreen):
    """The journal, newest first; `filters` may preset office, program, village, since,
    until (the filter fields show them)."""

    SCREEN_COMMANDS = HISTORY_COMMANDS
    DEFAULT_CSS = """
    HistoryScreen #history-filters { height: 1; }
    HistoryScreen #history-filters Label { padding: 0 1 0 1; }
    HistoryScreen #history-filters Input { width: 1fr; }
    HistoryScreen #history-status { height: 1; background: $panel; }
    HistoryScreen #history-status.-refused { background: $error; }
    """

    def __init__(self, office: Office, /, lang: str = "zh", **filters: Any) -> None:
        # `office` is positional-only: `office=` is also the name of a filter (whose edits).
        super().__init__(office, lang)
        self.params = dict(filters)
        self.filters: dict[str, str | None] = {k: filters.get(k) for k in FILTERS}
        # What other screens pass: the app's program_id, a grid's cell (one cell's history).
        self.filters["program"] = self.filters["program"] or filters.get("program_id")
        program, village, row, column = filters.get("cell") or (None, None, None, None)
        self.filters["program"] = self.filters["program"] or program
        self.filters["village"] = self.filters["village"] or village
        self.cell_filter: dict[str, str | None] = {
            "row": filters.get("row") or filters.get("row_id") or row,
            "column": filters.get("column") or filters.get("column_id") or column,
        }
        self.records: list[dict[str, Any]] = []
        self._asked = 0  # which read is the latest asked for
        self.model = TableModel(history_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter="cmd.enter.blame",
                                 id="history-grid")

    def commands(self) -> tuple[Command, ...]:
        return (*HISTORY_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        with Horizontal(id="history-filters"):
            for name in FILTERS:
                yield Label("", id=f"label-{name}")
                yield Input(self.filters[name] or "", id=f"filter-{name}", compact=True)
        yield Static("", id="history-status", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.grid.focus()

    def label(self) -> None:
        names = {"office": "ui.history.col.office", "program": "ui.history.col.program",
                 "village": "ui.history.col.village", "since": "ui.history.since",
                 "until": "ui.history.until"}
        for name, key in names.items():
            self.query_one(f"#label-{name}", Label).update(say(self.lang, key))
        self.query_one("#filter-since", Input).placeholder = "2026-01-01"
        if self.grid.lang != self.lang:  # titles, operation names and yes/no
            self.grid.retitle(history_columns(self.lang), self.lang)
            self._show(self.records)

    def reload(self, *, quiet: bool = False) -> None:
        """Read the journal on the office's worker (tens of thousands of edits take
        seconds); `quiet`: keep the status line as it is meanwhile (a live refresh)."""
        filters = self.filters
        try:
            since = parse_bound(filters["since"] or "", say(self.lang, "ui.history.since"),
                                self.lang)
            until = parse_bound(filters["until"] or "", say(self.lang, "ui.history.until"),
                                self.lang)
        except ValueError as problem:  # a bad filter: say so, keep the list
            self.set_status(str(problem), refused=True)
            return
        asked = {"program": filters["program"] or None, "village": filters["village"] or None,
                 "office": filters["office"] or None, "since": since, "until": until,
                 **{k: v for k, v in self.cell_filter.items() if v}}
        if not quiet:
            self.set_status(t(self.lang, "working"))
        self._asked += 1
        number = self._asked

        def read(records: list[dict[str, Any]]) -> None:
            if number == self._asked:
                self._show(records)

        def refused(problem: VledgerError) -> None:  # a refusal: shown, the old list stays
            if number == self._asked:
                self.set_status(problem_text(problem, self.lang), True)

        self.ask(lambda office: office.history.edits(**asked), read, failed=refused)

    def store_changed(self, change: StoreChange) -> None:
        village = self.filters["village"]
        if change.offices and (village is None
                               or change.touches(village, self.facts.me.township)):
            # every journal is read again: between keys, not under them
            self.when_quiet("read", lambda: self.reload(quiet=True))

    def _show(self, records: list[dict[str, Any]]) -> None:
        # A clerk on the first row watches the newest edits: new ones arrive above it,
        # so the cursor follows the top instead of its old row (as `tail -f` would).
        watching = self.grid.cursor_row == 0
        self.records = records
        self.model.set_rows(history_rows(self.records, self.lang))
        self.grid.refresh_model()
        if watching and self.grid.cursor_row != 0:
            self.grid.move_to(0)
        active = [f"{k}={v}" for k, v in (*self.filters.items(), *self.cell_filter.items())
                  if v]
        self.set_status(say(self.lang, "ui.history.count", count=len(self.records))
                        + ("  " + " ".join(active) if active else ""))

    def set_status(self, text: str, refused: bool = False) -> None:
        status = self.query_one("#history-status", Static)
        status.update(text)
        status.set_class(refused, "-refused")

    @on(Input.Submitted)
    def apply_filters(self, event: Input.Submitted) -> None:
        event.stop()
        for name in FILTERS:
            self.filters[name] = self.query_one(f"#filter-{name}", Input).value.strip() or None
        self.reload()
        self.grid.focus()

    @on(Grid.CellActivated, "#history-grid")
    def blame_row(self, event: Grid.CellActivated) -> None:
        event.stop()
        self.open_blame(event.row_id)

    def open_blame(self, edit_id: str) -> None:
        record = next((r for r in self.records if r["id"] == edit_id), None)
        if record is not None:
            self.app.push_screen(BlameScreen(
                self.office, self.lang, record["program"], record["village"], record["row"],
                record["column"]))

    def action_edit_filters(self) -> None:
        self.query_one("#filter-office", Input).focus()

    def action_clear_filters(self) -> None:
        self.cell_filter = {"row": None, "column": None}
        for name in FILTERS:
            self.filters[name] = None
            self.query_one(f"#filter-{name}", Input).value = ""
        self.reload()

    def action_blame(self) -> None:
        row_id = self.grid.cursor_row_id
        if row_id is not None:
            self.open_blame(row_id)

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        if not self.grid.has_focus:
            self.grid.focus()  # Esc in a filter field goes back to the list first
        elif len(self.app.screen_stack) > 1:
            self.app.pop_screen()
