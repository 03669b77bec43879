"""The township's sheets for one program: targets (annual), entered values, manual points and
adjustments (per period), as editable grids with the ledger's keys (tui/grid/sheet_model.py).
What another process stores in them (a command, a sync) shows within two seconds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.domain.program import YEAR
from vledger.errors import VledgerError
from vledger.messages import localize, say
from vledger.tui.commands import Command
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.sheet_model import SHEET_KINDS, SheetKind, SheetModel, read_sheet
from vledger.tui.i18n import t
from vledger.tui.office_worker import StoreChange
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


class SheetView(SheetModel):
    """A village's look at a township sheet: the township alone fills these sheets, so no
    cell takes a value (Enter, typing or a paste open no editor)."""

    @property
    def columns(self) -> Sequence[GridColumn]:
        return tuple(replace(c, editable=False) for c in super().columns)


class SheetsScreen(GridScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = SHEETS_COMMANDS

    def __init__(self, office: Office, lang: str = "zh", program_id: str | None = None,
                 period: str | None = None, kind: SheetKind = "targets",
                 **params: Any) -> None:
        super().__init__(office, lang, **params)
        ids = self.facts.program_ids()
        self.program_id = program_id or (ids[0] if ids else None)
        self.period = period or YEAR
        self.kind: SheetKind = kind
        self._opening = 0

    @property
    def read_only(self) -> bool:
        """A village sees the township's sheets; only the township changes them."""
        return not self.facts.me.is_township

    def compose(self) -> ComposeResult:
        yield Static(id="sheets-title", classes="title-bar")
        yield Static(id="sheets-why", classes="hint")
        yield Static(id="sheets-empty", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.show_sheet()
        super().on_mount()

    def show_sheet(self) -> None:
        """Read the chosen sheet on the worker, then show it as a grid."""
        empty = self.query_one("#sheets-empty", Static)
        if self.program_id is None:
            self.replace_grid(None, empty=empty,
                              why_empty=say(self.lang, "ui.sheets.no-programs"))
            return
        program = self.facts.program(self.program_id)
        if self.period not in program.period_ids:
            self.period = YEAR
        self._opening += 1
        opening, kind, period = self._opening, self.kind, self.period
        self.label()

        def read(values: dict[tuple[str, str], Decimal]) -> None:
            if opening != self._opening:
                return  # the clerk chose another sheet meanwhile
            kind_of_model = SheetView if self.read_only else SheetModel
            model = kind_of_model(self.worker, self, program, kind, period,
                                  villages=self.facts.villages_of(program.year),
                                  values=values, lang=self.lang, refused=self._write_refused)
            self.replace_grid(
                model if model.sheet_columns else None, empty=empty, classes="sheet-grid",
                why_empty=say(self.lang, "ui.sheets.no-such-sheet"), read_only=self.read_only)

        self.ask(lambda office: read_sheet(office, program, kind, period), read)

    def _sheet_model(self) -> SheetModel | None:
        model = None if self.grid is None else self.grid.model
        return model if isinstance(model, SheetModel) else None

    def _moved(self) -> None:
        if self.grid is not None:
            self.grid.refresh_model()

    def _write_refused(self, error: VledgerError) -> None:
        """The store refused a value the grid showed: say why, show what is stored."""
        report = getattr(self.app, "report_error", None)
        if report is not None:
            report(error)
        text = "; ".join(localize(p, self.lang) for p in error.problems)

        def shown() -> None:  # the stored values again, and why the edit is not among them
            self._moved()
            if self.grid is not None:
                self.grid.update_status(text, refused=True)

        shown()
        model = self._sheet_model()
        if model is not None:
            model.refresh(shown)

    def store_changed(self, change: StoreChange) -> None:
        """The sheets live in the township's document: read again only when it moved."""
        model = self._sheet_model()
        if model is None or not change.touches(self.facts.me.township):
            return
        model.set_villages(self.facts.villages_of(model.program.year))
        model.refresh(self._moved)

    def label(self) -> None:
        if self.program_id is None:
            return
        program = self.facts.program(self.program_id)
        parts = [t(self.lang, "sheets"), program.title, t(self.lang, self.kind)]
        if self.kind != "targets":
            parts.append(program.period(self.period).title)
        else:
            parts.append(say(self.lang, "ui.sheets.whole-year"))
        self.query_one("#sheets-title", Static).update(" · ".join(parts))
        why = self.query_one("#sheets-why", Static)
        why.display = self.read_only
        if self.read_only:
            why.update(say(self.lang, "ui.sheets.read-only"))
        if self.grid is not None and self.grid.lang != self.lang:
            model = self.grid.model
            self.grid.set_lang(self.lang)
            if isinstance(model, SheetModel):
                model.lang = self.lang
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
        program = self.facts.program(self.program_id)
        choices = [(p.id, p.title) for p in program.periods]
        choices.append((YEAR, say(self.lang, "ui.sheets.whole-year")))
        self.app.push_screen(Picker(t(self.lang, "period"), choices, self.period),
                             self._period_chosen)

    def _period_chosen(self, period: str | None) -> None:
        if period is not None and period != self.period:
            self.period = period
            self.show_sheet()

    def action_choose_program(self) -> None:
        choices = [(p.id, p.title) for p in self.facts.programs]
        self.app.push_screen(Picker(t(self.lang, "program"), choices, self.program_id),
                             self._program_chosen)

    def _program_chosen(self, program_id: str | None) -> None:
        if program_id is not None and program_id != self.program_id:
            self.program_id = program_id
            self.show_sheet()
