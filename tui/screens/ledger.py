"""A village's ledger for one program: the grid over a ledger session of the office
(tui/grid/office_model.py), with keys to choose the program and the village. Every edit is
a stored transaction, queued on the office's worker; what another process stores in this
ledger (a sync, a command) shows within two seconds, the cursor, the scroll position and an
open editor with its text kept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from weakref import WeakKeyDictionary

from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.errors import VledgerError
from vledger.messages import localize, say
from vledger.tui.commands import Command
from vledger.tui.grid.office_model import OfficeLedgerModel, OpenedLedger, open_ledger
from vledger.tui.grid.view import Grid
from vledger.tui.i18n import t
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.grid_screen import GridScreen
from vledger.tui.widgets.picker import Picker

if TYPE_CHECKING:
    from textual.app import App

    from vledger.sync.services.office import Office
    from vledger.tui.grid.model import GridModel

# Where the cursor was in each ledger (program, village) -> (row id, column id), for the
# app's life: reopening a ledger, or coming back to a village, puts the clerk back there.
Place = tuple[str | None, str]
_PLACES: WeakKeyDictionary[App[Any], dict[tuple[str, str], Place]] = WeakKeyDictionary()

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
    C("import-ledger", "ctrl+o", "import_file", "cmd.import-ledger",
      words="导入 文件 表格 import file csv xlsx excel"),
)
del C


class LedgerScreen(GridScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = LEDGER_COMMANDS

    def __init__(self, office: Office, lang: str = "zh", program_id: str | None = None,
                 village: str | None = None, today: date | Callable[[], date] | None = None,
                 **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.today = today() if callable(today) else (today or date.today())
        ids = self.facts.program_ids()
        self.program_id = program_id or (ids[0] if ids else None)
        self.village = village if village is not None else self._default_village()
        self._opening = 0  # which open is the latest (the clerk may pick again meanwhile)

    def _default_village(self) -> str | None:
        facts = self.facts
        if not facts.me.is_township:
            return facts.me.office
        return facts.villages[0].id if facts.villages else None

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
        """Open the chosen program and village's ledger on the worker, then show its grid
        (or say why there is none)."""
        empty = self.query_one("#ledger-empty", Static)
        if self.program_id is None or self.village is None:
            self.replace_grid(None, empty=empty, why_empty=say(self.lang, "ui.ledger.none"))
            return
        self._opening += 1
        opening, program_id, village = self._opening, self.program_id, self.village
        if self.grid is None:
            empty.display = True
            empty.update(t(self.lang, "working"))

        def opened(found: OpenedLedger) -> None:
            if opening == self._opening:
                self._show(found)

        def refused(refusal: VledgerError) -> None:  # e.g. this office holds no such ledger
            if opening == self._opening:
                self.replace_grid(None, empty=empty, why_empty=refusal.message)

        self.ask(lambda office: open_ledger(office, program_id, village), opened,
                 failed=refused)

    def _show(self, opened: OpenedLedger) -> None:
        model = OfficeLedgerModel(self.worker, self, opened, lang=self.lang, today=self.today,
                                  refused=self._write_refused)
        self.app.program_id = self.program_id  # type: ignore[attr-defined]
        self.app.village = self.village  # type: ignore[attr-defined]
        self.replace_grid(model, empty=self.query_one("#ledger-empty", Static),
                          classes="ledger-grid")
        self.label()
        self._marks_when_quiet(model)
        self.when_quiet("warm", model.warm)
        place = self._places().get((model.program.id, model.village))
        if place is not None and self.grid is not None:
            grid, (row_id, column_id) = self.grid, place
            self.call_after_refresh(lambda: self._go_back(grid, row_id, column_id))

    def _places(self) -> dict[tuple[str, str], Place]:
        return _PLACES.setdefault(self.app, {})

    def _go_back(self, grid: Grid, row_id: str | None, column_id: str, tries: int = 0) -> None:
        if grid is not self.grid:
            return  # another ledger was opened meanwhile
        if grid.body.scrollable_content_region.height <= 1 and tries < 40:
            # not laid out yet: scrolling now would be clamped to the top
            self.set_timer(0.05, lambda: self._go_back(grid, row_id, column_id, tries + 1))
            return
        columns = [c.id for c in grid.model.columns]
        if row_id is not None and grid.view.index_of(row_id) is not None:
            grid.move_to_row_id(row_id, column_id if column_id in columns else None)
        elif column_id in columns:  # the row is gone (deleted elsewhere): the column still
            grid.move_to(grid.cursor_row, columns.index(column_id))

    def on_grid_cursor_moved(self, message: Grid.CursorMoved) -> None:
        model = self._office_model()
        if model is not None and message.grid is self.grid:
            self._places()[(model.program.id, model.village)] = (message.row_id,
                                                                 message.column_id)

    def _marks_when_quiet(self, model: OfficeLedgerModel) -> None:
        """Conflict and unsynced marks read every journal entry of the ledger: between
        keys, not under them (OfficeScreen.when_quiet)."""
        def marks() -> None:
            if model is self._office_model():
                model.refresh_marks(self._model_moved)

        self.when_quiet("marks", marks)

    def _model_moved(self) -> None:
        if self.grid is not None:
            self.grid.refresh_model()

    def _write_refused(self, error: VledgerError) -> None:
        """The store refused an edit the grid showed: say why, show what is stored."""
        text = "; ".join(localize(p, self.lang) for p in error.problems) or str(error)
        report = getattr(self.app, "report_error", None)
        if report is not None:
            report(error)
        def shown() -> None:  # the stored rows again, and why the edit is not among them
            self._model_moved()
            if self.grid is not None:
                self.grid.update_status(text, refused=True)

        shown()
        model = self._office_model()
        if model is not None:
            model.refresh(shown, force=True)
            model.refresh_marks(shown)

    def _office_model(self) -> OfficeLedgerModel | None:
        model = None if self.grid is None else self.grid.model
        return model if isinstance(model, OfficeLedgerModel) else None

    def store_changed(self, change: StoreChange) -> None:
        """Another process (or screen) wrote: read the rows again only if this ledger's
        document moved, the marks if a sync ended; the title if the township's did."""
        if change.touches(self.facts.me.township):
            self.label()
        model = self._office_model()
        if model is None:
            return
        if change.touches(self.village):
            model.refresh(lambda: self._rows_read(model))
        elif change.synced:
            self._marks_when_quiet(model)

    def _rows_read(self, model: OfficeLedgerModel) -> None:
        self._model_moved()
        self._marks_when_quiet(model)
        self.when_quiet("warm", model.warm)  # a compacted document was loaded afresh

    def label(self) -> None:
        """The title names the ledger the grid shows (the program and village of its
        session), never the one last picked: while another opens, or when it cannot be
        opened, the grid is still the old one and the clerk types into that one."""
        title = self.query_one("#ledger-title", Static)
        model = self._office_model()
        if model is None:
            title.update(t(self.lang, "ledger"))
        else:
            facts, program = self.facts, model.program
            try:
                program = facts.program(program.id)  # its title as the township has it now
            except VledgerError:
                pass
            village = facts.village_name(model.village)
            title.update(f"{t(self.lang, 'ledger')} · {program.title} · {village}")
        if self.grid is not None and self.grid.lang != self.lang:
            self.grid.set_lang(self.lang)

    # ---- actions --------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.open_screen("home")  # type: ignore[attr-defined]

    def action_choose_program(self) -> None:
        choices = [(p.id, p.title) for p in self.facts.programs]
        self.app.push_screen(Picker(t(self.lang, "program"), choices, self.program_id),
                             self._program_chosen)

    def _program_chosen(self, program_id: str | None) -> None:
        if program_id is not None and program_id != self.program_id:
            self.program_id = program_id
            self.app.period = None  # type: ignore[attr-defined]
            self.show_ledger()

    def action_choose_village(self) -> None:
        facts = self.facts
        year = facts.program(self.program_id).year if self.program_id else facts.me.year
        villages = list(facts.villages_of(year))
        if not facts.me.is_township:
            villages = [v for v in villages if v.id == facts.me.office]
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
        model = self._office_model()
        if model is not None:  # asked for: now, rows and marks
            model.refresh(self._model_moved, force=True)
            model.refresh_marks(self._model_moved)

    def action_import_file(self) -> None:
        """Import a .csv or .xlsx file into the ledger on screen (tui/screens/ledger_import.py);
        the rows show once it is stored."""
        from vledger.tui.screens.ledger_import import ImportScreen

        model = self._office_model()
        if model is None:
            return
        title = say(self.lang, "ui.import.title", program=model.program.title,
                    village=self.facts.village_name(model.village))

        def imported(count: int | None) -> None:
            if count is None or model is not self._office_model():
                return
            def shown() -> None:
                self._rows_read(model)
                if self.grid is not None:
                    self.grid.update_status(say(self.lang, "ui.import.done", count=count))

            model.refresh(shown, force=True)

        self.app.push_screen(ImportScreen(self.lang, self.ask, model.session, title), imported)
