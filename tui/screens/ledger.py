"""A village's ledger for one program: the grid over a ledger session of the office
(tui/grid/office_model.py), with keys to choose the program and the village. Every edit is
a stored transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.errors import VledgerError
from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.grid.office_model import OfficeLedgerModel
from vledger.tui.i18n import t
from vledger.tui.screens.grid_screen import GridScreen
from vledger.tui.widgets.picker import Picker

if TYPE_CHECKING:
    from vledger.sync.services.office import Office
    from vledger.tui.grid.model import GridModel

C = Command
LEDGER_COMMANDS: tuple[Command, ...] = (
    C("back", "escape", "back", "cmd.back", show=True, key_display="Esc",
      words="返回 首页 home back"),
    C("choose-program", "f6", "choose_program", "cmd.ledger.choose-program", show=True,
      words="方案 program"),
    C("choose-village", "f7", "choose_village", "cmd.choose-village", show=True,
      words="村 village"),
    C("open-ranking-here", "f8", "open_ranking", "cmd.open-ranking-here", words="排名 ranking"),
    C("blame-cell", "ctrl+b", "blame", "cmd.blame-cell",
      words="历史 追溯 谁改的 history blame"),
    C("reload", "f5", "reload", "cmd.reload"),
)
del C


class LedgerScreen(GridScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = LEDGER_COMMANDS

    def __init__(self, office: Office, lang: str = "zh", program_id: str | None = None,
                 village: str | None = None, today: date | Callable[[], date] | None = None,
                 **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.today = today() if callable(today) else (today or date.today())
        self.program_id = program_id or office.programs.first_id()
        self.village = village if village is not None else self._default_village()

    def _default_village(self) -> str | None:
        if not self.office.me.is_township:
            return self.office.me.office
        villages = self.office.roster.villages()
        return villages[0].id if villages else None

    def compose(self) -> ComposeResult:
        yield Static(id="ledger-title", classes="title-bar")
        yield Static(id="ledger-empty", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.show_ledger()
        super().on_mount()

    def model(self) -> GridModel | None:
        return None if self.grid is None else self.grid.model

    def show_ledger(self) -> None:
        """Build the grid for the chosen program and village (or say why there is none)."""
        empty = self.query_one("#ledger-empty", Static)
        if self.program_id is None or self.village is None:
            self.replace_grid(None, empty=empty, why_empty=say(self.lang, "ui.ledger.none"))
            return
        try:
            ledger = self.office.ledgers.session(self.program_id, self.village)
            model = OfficeLedgerModel(self.office, ledger, lang=self.lang, today=self.today)
        except VledgerError as refusal:  # e.g. this office holds no such ledger
            self.replace_grid(None, empty=empty, why_empty=refusal.message)
            return
        self.app.program_id = self.program_id  # type: ignore[attr-defined]
        self.app.village = self.village  # type: ignore[attr-defined]
        self.replace_grid(model, empty=empty, classes="ledger-grid")

    def label(self) -> None:
        title = self.query_one("#ledger-title", Static)
        if self.program_id is None:
            title.update(t(self.lang, "ledger"))
            return
        try:
            program = self.office.programs.get(self.program_id).title
        except VledgerError:  # no such program (any more): its id says which
            program = self.program_id
        names = {v.id: v.name for v in self.office.roster.villages()}
        village = names.get(self.village or "", self.village or "")
        title.update(f"{t(self.lang, 'ledger')} · {program} · {village}")
        if self.grid is not None and self.grid.lang != self.lang:
            self.grid.set_lang(self.lang)

    # ---- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.open_screen("home")  # type: ignore[attr-defined]

    def action_choose_program(self) -> None:
        choices = [(p.id, p.title) for p in self.office.programs.all()]
        self.app.push_screen(Picker(t(self.lang, "program"), choices, self.program_id),
                             self._program_chosen)

    def _program_chosen(self, program_id: str | None) -> None:
        if program_id is not None and program_id != self.program_id:
            self.program_id = program_id
            self.app.period = None  # type: ignore[attr-defined]
            self.show_ledger()

    def action_choose_village(self) -> None:
        villages = self.office.roster.villages()
        if not self.office.me.is_township:
            villages = [v for v in villages if v.id == self.office.me.office]
        choices = [(v.id, f"{v.name} ({v.id})") for v in villages]
        self.app.push_screen(Picker(t(self.lang, "village"), choices, self.village),
                             self._village_chosen)

    def _village_chosen(self, village: str | None) -> None:
        if village is not None and village != self.village:
            self.village = village
            self.show_ledger()

    def action_open_ranking(self) -> None:
        self.app.open_screen("ranking", program_id=self.program_id)  # type: ignore[attr-defined]

    def action_blame(self) -> None:
        """Who changed the cell under the cursor, and when (the blame screen)."""
        from vledger.tui.screens.blame import BlameScreen

        grid = self.grid
        if grid is None or grid.cursor_row_id is None or self.program_id is None:
            return
        self.app.push_screen(BlameScreen(
            self.office, self.lang, self.program_id, self.village or "", grid.cursor_row_id,
            grid.cursor_column_id))

    def action_reload(self) -> None:
        if self.grid is not None:
            model = self.grid.model
            reload = getattr(model, "reload", None)
            if reload is not None:
                reload()
            self.grid.refresh_model()
