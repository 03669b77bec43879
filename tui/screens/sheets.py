"""The township's sheets for one program: targets (annual), entered values, manual points and
adjustments (per period), as editable grids with the ledger's keys (tui/grid/sheet_model.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.domain.program import YEAR
from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.grid.sheet_model import SHEET_KINDS, SheetKind, SheetModel
from vledger.tui.i18n import t
from vledger.tui.screens.grid_screen import GridScreen
from vledger.tui.widgets.picker import Picker

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

C = Command
SHEETS_COMMANDS: tuple[Command, ...] = (
    C("back", "escape", "back", "cmd.back", show=True, key_display="Esc",
      words="返回 首页 home back"),
    C("choose-sheet", "f6", "choose_sheet", "cmd.choose-sheet", show=True,
      words="目标 任务数 targets 录入 entered 人工 manual 加扣分 adjustments"),
    C("choose-period", "f7", "choose_period", "cmd.sheets.choose-period", show=True,
      words="阶段 季度 period quarter"),
    C("choose-program", "f8", "choose_program", "cmd.sheets.choose-program", words="方案 program"),
)
del C


class SheetsScreen(GridScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = SHEETS_COMMANDS

    def __init__(self, office: Office, lang: str = "zh", program_id: str | None = None,
                 period: str | None = None, kind: SheetKind = "targets",
                 **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.program_id = program_id or office.programs.first_id()
        self.period = period or YEAR
        self.kind: SheetKind = kind

    def compose(self) -> ComposeResult:
        yield Static(id="sheets-title", classes="title-bar")
        yield Static(id="sheets-empty", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.show_sheet()
        super().on_mount()

    def show_sheet(self) -> None:
        empty = self.query_one("#sheets-empty", Static)
        if self.program_id is None:
            self.replace_grid(None, empty=empty,
                              why_empty=say(self.lang, "ui.sheets.no-programs"))
            return
        program = self.office.programs.get(self.program_id)
        if self.period not in program.period_ids:
            self.period = YEAR
        model = SheetModel(self.office, program, self.kind, self.period, lang=self.lang)
        self.replace_grid(
            model if model.sheet_columns else None, empty=empty, classes="sheet-grid",
            why_empty=say(self.lang, "ui.sheets.no-such-sheet"))
        self.label()

    def label(self) -> None:
        if self.program_id is None:
            return
        program = self.office.programs.get(self.program_id)
        parts = [t(self.lang, "sheets"), program.title, t(self.lang, self.kind)]
        if self.kind != "targets":
            parts.append(program.period(self.period).title)
        else:
            parts.append(say(self.lang, "ui.sheets.whole-year"))
        self.query_one("#sheets-title", Static).update(" · ".join(parts))
        if self.grid is not None and self.grid.lang != self.lang:
            model = self.grid.model
            self.grid.set_lang(self.lang)
            if isinstance(model, SheetModel):
                model.reload()  # the village column's title speaks the language
                self.grid.refresh_model()

    # ---- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.open_screen("home")  # type: ignore[attr-defined]

    def action_choose_sheet(self) -> None:
        choices = [(k, t(self.lang, k)) for k in SHEET_KINDS]
        self.app.push_screen(Picker(t(self.lang, "sheets"), choices, self.kind),
                             self._sheet_chosen)

    def _sheet_chosen(self, kind: str | None) -> None:
        if kind in SHEET_KINDS and kind != self.kind:
            self.kind = kind
            self.show_sheet()

    def action_choose_period(self) -> None:
        if self.program_id is None:
            return
        program = self.office.programs.get(self.program_id)
        choices = [(p.id, p.title) for p in program.periods]
        choices.append((YEAR, say(self.lang, "ui.sheets.whole-year")))
        self.app.push_screen(Picker(t(self.lang, "period"), choices, self.period),
                             self._period_chosen)

    def _period_chosen(self, period: str | None) -> None:
        if period is not None and period != self.period:
            self.period = period
            self.show_sheet()

    def action_choose_program(self) -> None:
        choices = [(p.id, p.title) for p in self.office.programs.all()]
        self.app.push_screen(Picker(t(self.lang, "program"), choices, self.program_id),
                             self._program_chosen)

    def _program_chosen(self, program_id: str | None) -> None:
        if program_id is not None and program_id != self.program_id:
            self.program_id = program_id
            self.show_sheet()
