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
from vledger.tui.screens.cell_words import NO_WORDS, LedgerWords, read_cell_words
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
NAMED = ("office", "program", "village")  # filters typed as an id or a name
FILTER_TITLES = {"office": "ui.history.col.office", "program": "ui.history.col.program",
                 "village": "ui.history.col.village", "since": "ui.history.since",
                 "until": "ui.history.until", "row": "ui.history.col.row",
                 "column": "ui.history.col.column"}

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
    """At 80 columns: when, where (village and column), old and new; then who, the
    operation, the row and the program (the line above the list says them all)."""
    return [
        text_column("at", say(lang, "ui.history.col.time"), 16),
        text_column("village", say(lang, "ui.history.col.village"), 6),
        text_column("column", say(lang, "ui.history.col.column"), 8),
        text_column("old", say(lang, "ui.history.col.old"), 14),
        text_column("new", say(lang, "ui.history.col.new"), 14),
        text_column("office", say(lang, "ui.conflicts.col.who"), 12),
        text_column("op", say(lang, "ui.history.col.op"), 6),
        text_column("row", say(lang, "ui.history.col.row"), 24),
        text_column("program", say(lang, "ui.history.col.program"), 22),
        text_column("concurrent", say(lang, "ui.history.col.concurrent"), 8),
        text_column("late", say(lang, "ui.history.col.late"), 8),
    ]


def history_rows(
    records: Sequence[Mapping[str, Any]], lang: str, words: LedgerWords | None = None,
) -> list[tuple[str, dict[str, str]]]:
    words = words or NO_WORDS
    rows: list[tuple[str, dict[str, str]]] = []
    for r in records:
        column = r["column"]
        cell = words.cell((r["program"], r["village"], r["row"], column), lang)
        office = words.names.get(r["office"], r["office"])
        rows.append((r["id"], {
            "at": show_time(r["at"]), "office": f"{office} {r.get('user') or ''}".strip(),
            "op": op_name(r["op"], lang), "program": cell.program if r["program"] else "",
            "village": cell.village, "row": cell.row,
            "column": cell.column, "old": show_value(r["old"], lang, column),
            "new": show_value(r["new"], lang, column),
            "concurrent": ", ".join(r.get("concurrent_with") or ()),
            # made after the latest publication of a period it touches (通报)
            "late": say(lang, "publish.late.mark") if r.get("late") else "",
        }))
    return rows


def edit_text(record: Mapping[str, Any], row: Mapping[str, str], lang: str) -> str:
    """The edit under the cursor whole, whatever the terminal's width."""
    where = " · ".join(p for p in (row["village"], row["program"], row["row"], row["column"])
                       if p)
    return say(lang, "ui.history.edit", where=where, old=row["old"], new=row["new"],
               who=row["office"], at=show_time(record["at"]), op=row["op"])


class HistoryScreen(OfficeScreen):
    """The journal, newest first; `filters` may preset office, program, village, since,
    until (the filter fields show them)."""

    SCREEN_COMMANDS = HISTORY_COMMANDS
    DEFAULT_CSS = """
    HistoryScreen #history-filters { height: 1; }
    HistoryScreen #history-filters Label { padding: 0 1 0 1; }
    HistoryScreen #history-filters Input { width: 1fr; }
    HistoryScreen #history-status { height: 1; background: $panel; }
    HistoryScreen #history-edit { height: auto; max-height: 3; padding: 0 1; }
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
        self.words = NO_WORDS  # how the records' cells read (read with them)
        self.asked: dict[str, str | None] = {}  # the filters as ids (names typed resolved)
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
        yield Static("", id="history-edit", markup=False)
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
            self._show(self.records, self.words)

    def reload(self, *, quiet: bool = False) -> None:
        """Read the journal on the office's worker (tens of thousands of edits take
        seconds); `quiet`: keep the status line as it is meanwhile (a live refresh)."""
        filters = self.filters
        try:
            since = parse_bound(filters["since"] or "", say(self.lang, "ui.history.since"),
                                self.lang)
            until = parse_bound(filters["until"] or "", say(self.lang, "ui.history.until"),
                                self.lang)
            named = {name: self._named(name, filters[name]) for name in NAMED}
        except ValueError as problem:  # a bad filter: say so, keep the list
            self.set_status(str(problem), refused=True)
            return
        self.asked = named
        asked = {**named, "since": since, "until": until,
                 **{k: v for k, v in self.cell_filter.items() if v}}
        if not quiet:
            self.set_status(t(self.lang, "working"))
        self._asked += 1
        number = self._asked

        def job(office: Office) -> tuple[list[dict[str, Any]], LedgerWords]:
            records = office.history.edits(**asked)
            cells = {(r["program"], r["village"], r["row"], r["column"]) for r in records}
            return records, read_cell_words(office, cells)

        def read(found: tuple[list[dict[str, Any]], LedgerWords]) -> None:
            if number == self._asked:
                self._show(*found)

        def refused(problem: VledgerError) -> None:  # a refusal: shown, the old list stays
            if number == self._asked:
                self.set_status(problem_text(problem, self.lang), True)

        self.ask(job, read, failed=refused)

    def _named(self, name: str, typed: str | None) -> str | None:
        """A filter as the clerk typed it (an id, a village's or the township's name, a
        program's title) as the id the history service takes; ValueError when it names
        nothing this office knows."""
        if not typed:
            return None
        facts = self.facts
        if name == "program":
            known = [(p.id, p.title) for p in facts.programs]
        else:
            identity = facts.identity
            known = [(v.id, v.name) for v in facts.villages]
            known += [(v.id, v.name) for vs in facts.year_villages.values() for v in vs]
            if identity is not None:
                known.append((identity.township, identity.township_name))
        for id_, title in known:
            if typed in (id_, title):
                return id_
        lowered = typed.casefold()
        for id_, title in known:
            if lowered in (id_.casefold(), title.casefold()):
                return id_
        if name == "office" and typed == self.facts.me.office:
            return typed
        what = say(self.lang, FILTER_TITLES[name])
        raise ValueError(say(self.lang, "ui.history.unknown-name", what=what, text=typed))

    def store_changed(self, change: StoreChange) -> None:
        village = self.asked.get("village")
        if change.offices and (village is None
                               or change.touches(village, self.facts.me.township)):
            # every journal is read again: between keys, not under them
            self.when_quiet("read", lambda: self.reload(quiet=True))

    def _show(self, records: list[dict[str, Any]], words: LedgerWords) -> None:
        # A clerk on the first row watches the newest edits: new ones arrive above it,
        # so the cursor follows the top instead of its old row (as `tail -f` would).
        watching = self.grid.cursor_row == 0
        self.records = records
        self.words = words
        self.model.set_rows(history_rows(self.records, self.lang, words))
        self.grid.refresh_model()
        if watching and self.grid.cursor_row != 0:
            self.grid.move_to(0)
        self.show_edit()
        active = [f"{say(self.lang, FILTER_TITLES[k])}={v}"
                  for k, v in (*self.filters.items(), *self.cell_filter.items()) if v]
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

    @on(Grid.CursorMoved, "#history-grid")
    def cursor_moved(self, event: Grid.CursorMoved) -> None:
        self.show_edit()

    def show_edit(self) -> None:
        """The edit under the cursor on one line: where, old → new, who, when."""
        row_id = self.grid.cursor_row_id
        record = next((r for r in self.records if r["id"] == row_id), None) if row_id else None
        box = self.query_one("#history-edit", Static)
        box.display = record is not None
        if record is not None and row_id is not None:
            shown = {c.id: self.model.display(row_id, c.id) for c in self.model.columns}
            box.update(edit_text(record, shown, self.lang))

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
