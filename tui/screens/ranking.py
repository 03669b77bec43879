"""The ranking sheet (排名) of one program and period, with a drill-down on every number.

The sheet is read-only: it is computed by the ranking service from ledgers and township
sheets, so the grid here refuses edits and Enter on a cell opens its explanation instead. It
follows the data: a cheap timer compares the sync service's data version and recomputes only
when it moved (a local edit on another screen, or a sync that arrived), and F5 recomputes at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len, set_cell_size
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from vledger.domain.decimals import format_money, format_score
from vledger.domain.program import YEAR, Program
from vledger.domain.ranking import RankingSheet, SheetRow
from vledger.errors import VledgerError
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.table_model import ReadOnlyGrid, TableModel
from vledger.tui.grid.view import MAX_WIDTH, Grid
from vledger.tui.i18n import t, tr
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.explain import ExplainScreen

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

REFRESH_SECONDS = 1.0
ITEM_TITLE_CELLS = 10  # "short titles": the sheet must fit many items at 80 columns

def column(id: str, title: str, width: int, numeric: bool = True) -> GridColumn:
    return GridColumn(id, title, "decimal" if numeric else "text", width, editable=False)


def short(title: str, cells: int = ITEM_TITLE_CELLS) -> str:
    return title if cell_len(title) <= cells else set_cell_size(title, cells - 1) + "…"


# ---- the sheet as grid rows -----------------------------------------------------------


def sheet_columns(program: Program, lang: str) -> list[GridColumn]:
    """Village first (the frozen column stays readable when scrolling right to the items),
    then rank, total and the marks, so 80 columns show who, where and whether complete."""
    cols = [
        column("village", t(lang, "village"), 8, numeric=False),
        column("rank", t(lang, "rank"), 4),
        column("total", t(lang, "total"), 7),
        column("marks", tr(lang, "标记", "marks"), 8, numeric=False),
    ]
    cols += [column(item.id, short(item.title), 6) for item in program.items]
    cols += [
        column("adjustments", t(lang, "adjustments"), 6),
        column("rank_bonus", tr(lang, "排名加分", "rank bonus"), 6),
        column("reward", tr(lang, "奖励", "reward"), 6),
        column("penalty", tr(lang, "处罚", "penalty"), 6),
        column("amount", tr(lang, "兑现金额", "amount"), 7),
    ]
    return cols


def row_marks(row: SheetRow, lang: str) -> str:
    marks = []
    if row.vetoed:
        marks.append(tr(lang, "否决", "vetoed"))
    elif row.complete:
        marks.append(tr(lang, "完成", "complete"))
    if row.warnings:
        marks.append(f"⚠{len(row.warnings)}")
    return " ".join(marks)


def sheet_rows(sheet: RankingSheet, lang: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for row in sheet.rows:
        cells = {
            "village": row.name or row.village,
            "rank": str(row.rank),
            "total": format_score(row.total),
            "marks": row_marks(row, lang),
            "adjustments": format_score(row.adjustments),
            "rank_bonus": format_score(row.rank_bonus),
            "reward": format_money(row.reward),
            "penalty": format_money(row.penalty),
            "amount": format_money(row.amount),
        }
        cells.update({k: format_score(r.score) for k, r in row.items.items()})
        out.append((row.village, cells))
    return out


def sheet_notes(sheet: RankingSheet, lang: str) -> str:
    """Warnings and area money under the sheet: a row outside the year must be seen."""
    parts = []
    warned = [(r, w) for r in sheet.rows for w in r.warnings]
    if warned:
        names = "、".join(dict.fromkeys(r.name or r.village for r, _ in warned))
        parts.append(tr(lang, f"⚠ {len(warned)} 条台账行不计入任何阶段（{names}），回车查看",
                        f"⚠ {len(warned)} ledger rows count in no period ({names}); Enter shows"))
    if sheet.areas:
        money = "  ".join(f"{a.area} {format_money(a.amount)}" for a in sheet.areas)
        parts.append(tr(lang, f"管区：{money}", f"areas: {money}"))
    return "\n".join(parts)


# ---- picking a program or period ------------------------------------------------------


class PickScreen(ModalScreen[str | None]):
    """A short list to choose from; Enter picks, Esc keeps what was there."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > OptionList { width: 60; max-width: 100%; height: auto; max-height: 80%;
                              border: round $accent; }
    """
    BINDINGS: ClassVar[list[Binding | tuple[str, str] | tuple[str, str, str]]] = [
        Binding("escape", "cancel", "cancel", id="pick-cancel", tooltip="close"),
    ]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        picker = OptionList(*(Option(label, id=key) for key, label in self.options))
        picker.border_title = self.title_text
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        ids = [key for key, _ in self.options]
        picker.highlighted = ids.index(self.current) if self.current in ids else 0
        picker.focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---- the screen -----------------------------------------------------------------------

C = Command
RANKING_COMMANDS: tuple[Command, ...] = (
    C("explain-cell", "", "explain", "说明", "explain",
      "查看当前数字的计算过程（回车）", "Show how this number was reached (Enter)",
      words="explain 说明 计算过程 drill-down why"),
    C("choose-program", "p", "choose_program", "方案", "program",
      "选择考核方案", "Choose the program", show=True),
    C("choose-period", "t", "choose_period", "阶段", "period",
      "选择考核阶段（或全年）", "Choose the period (or the year)", show=True),
    C("previous-period", "comma", "previous_period", "上阶段", "prev period",
      "上一个考核阶段", "Previous period", key_display=","),
    C("next-period", "full_stop", "next_period", "下阶段", "next period",
      "下一个考核阶段", "Next period", key_display="."),
    C("refresh-ranking", "f5", "refresh_sheet", "刷新", "refresh",
      "立即重新计算排名", "Recompute the sheet now", show=True),
    C("close-ranking", "escape", "close", "返回", "back", "返回上一屏", "Back", show=True,
      key_display="Esc"),
)
del C


class RankingScreen(OfficeScreen):
    """The ranking sheet of `program_id` for `period` (default: today's period)."""

    SCREEN_COMMANDS = RANKING_COMMANDS
    DEFAULT_CSS = """
    RankingScreen #ranking-title { height: 1; text-style: bold; background: $panel; }
    RankingScreen #ranking-notes { height: auto; max-height: 3; color: $warning; }
    RankingScreen #ranking-error { height: auto; color: $error; display: none; }
    """

    def __init__(
        self, office: Office, lang: str = "zh", program_id: str | None = None,
        period: str | None = None, *, today: Callable[[], date] = date.today,
    ) -> None:
        super().__init__(office, lang)
        self.today = today
        self.program: Program = self._pick_program(program_id)
        self.period = period or self._current_period()
        self.sheet: RankingSheet | None = None
        self.recomputed = 0  # how often the sheet was computed, for tests and the bench
        self._seen_version: object = None
        self.model = TableModel(sheet_columns(self.program, self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, id="ranking-grid")

    # -- lookups ----------------------------------------------------------------------

    def _pick_program(self, program_id: str | None) -> Program:
        if program_id is not None:
            return self.office.programs.get(program_id)
        programs = self.office.programs.all()
        if not programs:
            raise LookupError(self.tr("还没有考核方案", "there is no program yet"))
        return programs[0]

    def _current_period(self) -> str:
        return self.office.programs.current_period(self.program, self.today())

    # -- building ---------------------------------------------------------------------

    def commands(self) -> tuple[Command, ...]:
        """This screen's commands, then the grid's (minus editing), for the palette."""
        return (*RANKING_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="ranking-title", markup=False)
        yield self.grid
        yield Static("", id="ranking-notes", markup=False)
        yield Static("", id="ranking-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.grid.focus()
        # The first sheet may measure every village's ledger (seconds on a big township):
        # a thread keeps the keys alive meanwhile; later recomputes hit the measures cache.
        self.query_one("#ranking-title", Static).update(t(self.lang, "working"))
        self.run_worker(self._first_sheet, thread=True, group="ranking-first",
                        exit_on_error=False)

    def _first_sheet(self) -> None:
        version = self.office.sync.data_version()
        try:
            sheet = self.office.ranking.sheet(self.program.id, self.period)
        except VledgerError as problem:
            self.app.call_from_thread(self.show_error, problem)
            return
        self.app.call_from_thread(self._started, sheet, version)

    def _started(self, sheet: RankingSheet, version: object) -> None:
        self._seen_version = version
        self.recomputed += 1
        self.show_sheet(sheet)
        self.set_interval(REFRESH_SECONDS, self.check_for_changes)

    def label(self) -> None:
        if self.grid.lang != self.lang:  # a language switch: new column titles and marks
            self.grid.retitle(sheet_columns(self.program, self.lang), self.lang)
            if self.sheet is not None:
                self.show_sheet(self.sheet)

    def period_title(self, period_id: str) -> str:
        if period_id == YEAR:
            return self.tr("全年", "year")
        title = self.program.period(period_id).title
        return title if self.lang == "zh" else f"{period_id} {title}"

    def recompute(self) -> None:
        """Ask for the sheet again and show it, keeping the cursor on its village."""
        self._seen_version = self.office.sync.data_version()
        try:
            sheet = self.office.ranking.sheet(self.program.id, self.period)
        except VledgerError as problem:  # e.g. ledgers not all here yet: shown, never a crash
            self.show_error(problem)
            return
        self.recomputed += 1
        self.show_sheet(sheet)

    def show_sheet(self, sheet: RankingSheet) -> None:
        self.sheet = sheet
        self.query_one("#ranking-error").display = False
        title = (f"{t(self.lang, 'ranking')} · {self.program.title} · "
                 f"{self.period_title(self.period)}")
        self.query_one("#ranking-title", Static).update(title)
        self.model.set_rows(sheet_rows(sheet, self.lang))
        self.grid.refresh_model()
        self.query_one("#ranking-notes", Static).update(sheet_notes(sheet, self.lang))

    def show_error(self, problem: VledgerError) -> None:
        box = self.query_one("#ranking-error", Static)
        box.update(f"{t(self.lang, 'error')}: " + "; ".join(str(p) for p in problem.problems))
        box.display = True

    def check_for_changes(self) -> None:
        """The timer's cheap look: recompute only when some document's heads moved."""
        if self.office.sync.data_version() != self._seen_version:
            self.recompute()

    # -- drill-down ---------------------------------------------------------------------

    @on(Grid.CellActivated, "#ranking-grid")
    def explain_cell(self, event: Grid.CellActivated) -> None:
        event.stop()
        self.open_explanation(event.row_id, event.column_id)

    def open_explanation(self, village: str, column_id: str) -> None:
        if self.sheet is None:
            return
        title = next((c.title for c in self.model.columns if c.id == column_id), column_id)
        if column_id in self.sheet.row(village).items:
            title = self.program.item(column_id).title
        self.app.push_screen(ExplainScreen(self.sheet, village, column_id, self.lang, title))

    # -- actions --------------------------------------------------------------------------

    def action_explain(self) -> None:
        row_id = self.grid.cursor_row_id
        if row_id is not None:
            self.open_explanation(row_id, self.grid.cursor_column_id)

    def action_refresh_sheet(self) -> None:
        self.recompute()

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def _use_model(self, model: TableModel) -> None:
        grid = self.grid
        self.model = grid.model = grid.stack.model = grid.view.model = model
        grid.widths = [min(MAX_WIDTH, max(3, c.width, cell_len(c.title) + 1))
                       for c in model.columns]
        grid.cursor_col = 0

    def set_view(self, program: Program | None = None, period: str | None = None) -> None:
        if program is not None and program.id != self.program.id:
            self.program = program
            self.period = period or self._current_period()
            self._use_model(TableModel(sheet_columns(program, self.lang)))
        elif period is not None:
            self.period = period
        for name, value in (("program_id", self.program.id), ("period", self.period)):
            if hasattr(self.app, name):  # the app remembers the clerk's choice for next time
                setattr(self.app, name, value)
        self.recompute()

    @work(exclusive=True, group="ranking-pick")
    async def action_choose_program(self) -> None:
        programs = self.office.programs.all()
        options = [(p.id, f"{p.title}（{p.id}）") for p in programs]
        chosen = await self.app.push_screen_wait(
            PickScreen(t(self.lang, "program"), options, self.program.id))
        if chosen is not None:
            self.set_view(program=next(p for p in programs if p.id == chosen))

    @work(exclusive=True, group="ranking-pick")
    async def action_choose_period(self) -> None:
        options = [(pid, self.period_title(pid)) for pid in self.program.period_ids]
        chosen = await self.app.push_screen_wait(
            PickScreen(t(self.lang, "period"), options, self.period))
        if chosen is not None:
            self.set_view(period=chosen)

    def action_previous_period(self) -> None:
        self._step_period(-1)

    def action_next_period(self) -> None:
        self._step_period(1)

    def _step_period(self, step: int) -> None:
        ids = list(self.program.period_ids)
        index = ids.index(self.period) if self.period in ids else 0
        self.set_view(period=ids[(index + step) % len(ids)])
