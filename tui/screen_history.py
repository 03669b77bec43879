"""History (历史记录), blame and conflicts (冲突): who changed what, when, and settling it.

- HistoryScreen: the journal newest first, filtered by office, program, village and time;
  Enter on an edit shows the blame of its cell.
- BlameScreen: the chain of edits behind one cell's value (any grid can open it).
- ConflictsScreen: every open conflict, one line per competing value with its office and
  time; Enter keeps the value under the cursor (the facade writes a recorded resolve).

All three are read-only grids over the facade; nothing here knows about documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Footer, Input, Label, Static

from domain.history import DELETED, Conflict
from tui.commands import Command
from tui.grid import Grid
from tui.grid_model import GridColumn
from tui.i18n import t
from tui.screen_base import OfficeScreen
from tui.screen_ranking import ReadOnlyGrid, TableModel, data_version

FILTERS = ("office", "program", "village", "since", "until")
REFRESH_SECONDS = 1.0


def text_column(id: str, title: str, width: int) -> GridColumn:
    return GridColumn(id, title, "text", width, editable=False)


def show_value(value: Any, lang: str, column: str = "") -> str:
    """A stored value as a clerk reads it (empty shown as "—", yes/no in the language)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        if column == DELETED:
            return ("已删除" if value else "未删除") if lang == "zh" else (
                "deleted" if value else "restored")
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return str(value)


def show_time(at: str) -> str:
    """`at` as the recording laptop wrote it, to the minute: offices' clocks differ, so no
    conversion pretends to more precision than there is."""
    return at[:16].replace("T", " ")


def parse_bound(text: str, name: str) -> str | None:
    """A typed time filter as ISO 8601 with offset; a date alone is local midnight."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a date (2026-03-01) or time") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


OP_NAMES = {
    "add": ("新增", "add"), "set": ("修改", "edit"), "delete": ("删除", "delete"),
    "restore": ("恢复", "restore"), "resolve": ("解决冲突", "settle"),
}


def op_name(op: str, lang: str) -> str:
    zh, en = OP_NAMES.get(op, (op, op))
    return zh if lang == "zh" else en


# ---- history --------------------------------------------------------------------------

C = Command
HISTORY_COMMANDS: tuple[Command, ...] = (
    C("filter-history", "ctrl+f", "edit_filters", "筛选", "filter",
      "按单位、方案、村、时间筛选历史记录", "Filter by office, program, village or time",
      show=True, key_display="^f", words="history filter 历史 筛选"),
    C("clear-history-filters", "c", "clear_filters", "清除筛选", "clear filters",
      "清除全部筛选条件", "Clear every filter"),
    C("blame-edit", "", "blame", "追溯", "blame",
      "查看该单元格的修改链（回车）", "Show the chain of edits behind this cell (Enter)",
      words="blame 追溯 谁改的"),
    C("refresh-history", "f5", "reload", "刷新", "refresh", "重新读取", "Reload", show=True),
    C("close-history", "escape", "close", "返回", "back", "返回上一屏（或离开筛选框）",
      "Back (or leave the filter fields)", show=True, key_display="Esc"),
)
del C


def history_columns(lang: str) -> list[GridColumn]:
    zh = lang == "zh"
    return [
        text_column("at", "时间" if zh else "time", 16),
        text_column("office", "单位" if zh else "office", 6),
        text_column("op", "操作" if zh else "op", 6),
        text_column("program", "方案" if zh else "program", 10),
        text_column("village", "村" if zh else "village", 6),
        text_column("row", "行" if zh else "row", 8),
        text_column("column", "列" if zh else "column", 10),
        text_column("old", "原值" if zh else "old", 10),
        text_column("new", "新值" if zh else "new", 10),
        text_column("concurrent", "同时修改" if zh else "concurrent", 8),
    ]


def history_rows(records: Sequence[Mapping[str, Any]], lang: str) -> list[tuple[str, dict]]:
    rows = []
    for r in records:
        column = r["column"]
        rows.append((r["id"], {
            "at": show_time(r["at"]), "office": r["office"], "op": op_name(r["op"], lang),
            "program": r["program"], "village": r["village"], "row": r["row"],
            "column": column, "old": show_value(r["old"], lang, column),
            "new": show_value(r["new"], lang, column),
            "concurrent": ", ".join(r.get("concurrent_with") or ()),
        }))
    return rows


class HistoryScreen(OfficeScreen):
    """The journal, newest first; `filters` may preset office, program, village, since,
    until (the filter fields show them)."""

    SCREEN_COMMANDS = HISTORY_COMMANDS
    DEFAULT_CSS = """
    HistoryScreen #history-filters { height: 1; }
    HistoryScreen #history-filters Label { padding: 0 0 0 1; }
    HistoryScreen #history-filters Input { width: 1fr; }
    HistoryScreen #history-status { height: 1; background: $panel; }
    HistoryScreen #history-status.-refused { background: $error; }
    """

    def __init__(self, office: Any, /, lang: str = "zh", **filters: Any) -> None:
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
        self.model = TableModel(history_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter=("追溯", "blame"),
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
        names = {"office": ("单位", "office"), "program": ("方案", "program"),
                 "village": ("村", "village"), "since": ("自", "from"),
                 "until": ("至", "until")}
        for name, (zh, en) in names.items():
            self.query_one(f"#label-{name}", Label).update(self.tr(zh, en))
        self.query_one("#filter-since", Input).placeholder = "2026-01-01"
        if self.grid.lang != self.lang:
            self.model = TableModel(history_columns(self.lang))
            self.grid.model = self.grid.view.model = self.grid.stack.model = self.model
            self.grid.lang = self.lang
            self.reload()

    def reload(self) -> None:
        """Read the journal in a thread (tens of thousands of edits take seconds)."""
        filters = self.filters
        try:
            since = parse_bound(filters["since"] or "", self.tr("自", "from"))
            until = parse_bound(filters["until"] or "", self.tr("至", "until"))
        except ValueError as problem:  # a bad filter: say so, keep the list
            self.set_status(str(problem), refused=True)
            return
        asked = {"program": filters["program"] or None, "village": filters["village"] or None,
                 "office": filters["office"] or None, "since": since, "until": until,
                 **{k: v for k, v in self.cell_filter.items() if v}}
        self.set_status(t(self.lang, "working"))
        self.run_worker(lambda: self._load(asked), thread=True, exclusive=True,
                        group="history-load", exit_on_error=False)

    def _load(self, asked: dict[str, Any]) -> None:
        try:
            records = self.office.history(**asked)
        except Exception as problem:  # a refusal: shown, the old list stays
            self.app.call_from_thread(self.set_status, _problem_text(problem), True)
            return
        self.app.call_from_thread(self._show, records)

    def _show(self, records: list[dict[str, Any]]) -> None:
        self.records = records
        self.model.set_rows(history_rows(self.records, self.lang))
        self.grid.refresh_model()
        active = [f"{k}={v}" for k, v in (*self.filters.items(), *self.cell_filter.items())
                  if v]
        self.set_status(self.tr(f"{len(self.records)} 条修改记录，新的在前",
                                f"{len(self.records)} edits, newest first")
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


def _problem_text(problem: BaseException) -> str:
    lines = getattr(problem, "problems", None) or [str(problem)]
    return "; ".join(str(p) for p in lines)


# ---- blame ----------------------------------------------------------------------------

BLAME_COMMANDS: tuple[Command, ...] = (
    Command("close-blame", "escape", "close", "返回", "back", "返回上一屏", "Back", show=True,
            key_display="Esc"),
)


class BlameScreen(OfficeScreen):
    """The chain of edits behind one cell's value, newest first (`vledger blame`)."""

    SCREEN_COMMANDS = BLAME_COMMANDS
    DEFAULT_CSS = """
    BlameScreen #blame-title { height: auto; text-style: bold; background: $panel; }
    """

    def __init__(
        self, office: Any, lang: str = "zh", program: str = "", village: str = "",
        row: str = "", column: str = "",
    ) -> None:
        super().__init__(office, lang, program=program, village=village, row=row, column=column)
        self.cell = (program, village, row, column)
        self.chain: list[Any] = []
        self.model = TableModel([
            text_column("at", self.tr("时间", "time"), 16),
            text_column("office", self.tr("单位", "office"), 6),
            text_column("user", self.tr("操作人", "user"), 8),
            text_column("op", self.tr("操作", "op"), 6),
            text_column("old", self.tr("原值", "old"), 12),
            text_column("new", self.tr("新值", "new"), 12),
            text_column("id", self.tr("编号", "edit"), 10),
        ])
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
        program, village, row, column = self.cell
        title = self.query_one("#blame-title", Static)
        try:
            self.chain = list(self.office.blame(program, village, row, column))
        except Exception as problem:
            title.update(_problem_text(problem))
            return
        column_name = column
        rows = []
        for entry in self.chain:
            rows.append((entry.id, {
                "at": show_time(entry.at), "office": entry.office, "user": entry.user,
                "op": op_name(entry.op, self.lang),
                "old": show_value(entry.old, self.lang, column_name),
                "new": show_value(entry.new, self.lang, column_name), "id": entry.id,
            }))
        self.model.set_rows(rows)
        self.grid.refresh_model()
        where = f"{program} · {village} · {row} · {column}"
        if not self.chain:
            title.update(self.tr(f"{where}：没有修改记录", f"{where}: no recorded edits"))
        else:
            now = show_value(self.chain[0].new, self.lang, column)
            title.update(self.tr(f"{where} 当前值 {now}，共 {len(self.chain)} 次修改",
                                 f"{where} now {now}, {len(self.chain)} edits"))
        self.grid.focus()

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


# ---- conflicts --------------------------------------------------------------------------

CONFLICT_COMMANDS: tuple[Command, ...] = (
    Command("keep-value", "", "keep", "保留此值", "keep this",
            "保留光标所在的值，解决该冲突（回车）", "Settle the conflict with this value (Enter)",
            words="resolve settle keep 解决 冲突 保留"),
    Command("refresh-conflicts", "f5", "reload", "刷新", "refresh", "重新读取", "Reload",
            show=True),
    Command("close-conflicts", "escape", "close", "返回", "back", "返回上一屏", "Back",
            show=True, key_display="Esc"),
)


def conflict_columns(lang: str) -> list[GridColumn]:
    zh = lang == "zh"
    return [
        text_column("where", "单元格" if zh else "cell", 24),
        text_column("value", "值" if zh else "value", 12),
        text_column("office", "单位" if zh else "office", 6),
        text_column("at", "时间" if zh else "time", 16),
        text_column("shown", "当前显示" if zh else "shown", 6),
        text_column("edit", "编号" if zh else "edit", 10),
        text_column("conflict", "冲突编号" if zh else "conflict", 11),
    ]


def conflict_rows(conflicts: Sequence[Conflict], lang: str) -> list[tuple[str, dict]]:
    """One grid row per competing value, keyed `conflict/edit`."""
    rows = []
    for conflict in conflicts:
        where = f"{conflict.village}/{conflict.program}/{conflict.row}/{conflict.column}"
        for value in conflict.values:
            shown = value.value == conflict.shown and type(value.value) is type(conflict.shown)
            rows.append((f"{conflict.id}/{value.edit}", {
                "where": where, "value": show_value(value.value, lang, conflict.column),
                "office": value.office, "at": show_time(value.at),
                "shown": ("●" if shown else ""), "edit": value.edit, "conflict": conflict.id,
            }))
    return rows


class ConflictsScreen(OfficeScreen):
    """Open conflicts; Enter keeps the value under the cursor and settles its conflict."""

    SCREEN_COMMANDS = CONFLICT_COMMANDS
    DEFAULT_CSS = """
    ConflictsScreen #conflicts-status { height: auto; background: $panel; }
    ConflictsScreen #conflicts-status.-refused { background: $error; }
    """

    def __init__(self, office: Any, /, lang: str = "zh", **filters: Any) -> None:
        super().__init__(office, lang)
        self.params = dict(filters)
        self.conflicts: list[Conflict] = []
        self._seen_version: object = None
        self.model = TableModel(conflict_columns(self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, enter=("保留此值", "keep this"),
                                 id="conflicts-grid")

    def commands(self) -> tuple[Command, ...]:
        return (*CONFLICT_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="conflicts-status", markup=False)
        yield self.grid
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.grid.focus()
        self.set_interval(REFRESH_SECONDS, self.check_for_changes)

    def reload(self, message: str = "") -> None:
        """Find the open conflicts in a thread: every journal is read (seconds when big)."""
        self._seen_version = data_version(self.office)
        self.run_worker(lambda: self._load(message), thread=True, exclusive=True,
                        group="conflicts", exit_on_error=False)

    def _load(self, message: str, settle: tuple[str, str] | None = None) -> None:
        try:
            if settle is not None:
                self.office.resolve(settle[0], keep=settle[1])
                message = self.tr(f"已解决冲突 {settle[0]}", f"settled {settle[0]}")
            conflicts = list(self.office.conflicts())
        except Exception as problem:  # not allowed here, or already settled by a sync
            self.app.call_from_thread(self.set_status, _problem_text(problem), True)
            return
        self.app.call_from_thread(self._show, conflicts, message)

    def _show(self, conflicts: list[Conflict], message: str) -> None:
        self.conflicts = conflicts
        self.model.set_rows(conflict_rows(self.conflicts, self.lang))
        self.grid.refresh_model()
        count = len(self.conflicts)
        text = self.tr(
            f"{count} 个未解决的冲突：回车保留光标所在的值" if count else "没有未解决的冲突",
            f"{count} open conflicts: Enter keeps the value under the cursor" if count
            else "no open conflicts")
        self.set_status(f"{message}  {text}" if message else text)

    def check_for_changes(self) -> None:
        if data_version(self.office) != self._seen_version:
            self.reload()

    def set_status(self, text: str, refused: bool = False) -> None:
        status = self.query_one("#conflicts-status", Static)
        status.update(text)
        status.set_class(refused, "-refused")

    @on(Grid.CellActivated, "#conflicts-grid")
    def keep_row(self, event: Grid.CellActivated) -> None:
        event.stop()
        self.keep(event.row_id)

    def keep(self, row_id: str) -> None:
        """Settle the conflict of this grid row with its value, through the facade."""
        conflict_id, edit = row_id.split("/", 1)
        self.set_status(t(self.lang, "working"))
        self.run_worker(lambda: self._load("", (conflict_id, edit)), thread=True,
                        exclusive=True, group="conflicts", exit_on_error=False)

    def action_keep(self) -> None:
        row_id = self.grid.cursor_row_id
        if row_id is not None:
            self.keep(row_id)

    def action_reload(self) -> None:
        self.reload()

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
