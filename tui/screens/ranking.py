"""The ranking sheet (排名) of one program and period, with a drill-down on every number.

The sheet is read-only: it is computed by the ranking service from ledgers and township
sheets, so the grid here refuses edits and Enter on a cell opens its explanation instead. It
follows the data: it is computed again, on the office's worker, when the app hears that a
document it ranks moved (a local edit on another screen, a sync that arrived, a command in
another process), and F5 computes it again at once. The service keeps each village's
measures by its document's heads, so only the villages that moved are measured again.

Once the period is published (通报), the title says whether the grid shows the live sheet or
the sheet as published (`v` switches), every number that differs between them is marked,
and its explanation starts with the published and the current value and the late edits
behind the move. The township publishes with `P` (and a note); `e` writes the sheet shown
to an .xlsx, .csv or .html file and says where. Each of these runs on the office's worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Footer, Static

from vledger.domain.program import YEAR, Program
from vledger.domain.publication import Publication
from vledger.domain.ranking import RankingSheet
from vledger.errors import VledgerError
from vledger.messages import localize, say
from vledger.tui.commands import Command
from vledger.tui.grid.layout import column_widths
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.view import Grid
from vledger.tui.i18n import t
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.base import OfficeScreen
from vledger.tui.screens.cell_words import ledger_row_labels
from vledger.tui.screens.explain import ExplainScreen
from vledger.tui.screens.ranking_prompt import TextPrompt
from vledger.tui.screens.ranking_rows import (
    RankingModel,
    move_lines,
    moved_marks,
    published_rows,
    sheet_columns,
    sheet_notes,
    sheet_rows,
    view_title,
)
from vledger.tui.widgets.picker import Picker

if TYPE_CHECKING:
    from vledger.sync.services.office import Office
    from vledger.sync.services.publications import Changes

# What one look at the data gives: the live sheet, the period's latest publication (if
# any) and what moved between them.
Computed = tuple[RankingSheet, "Publication | None", "Changes | None"]



def compute(office: Office, program_id: str, period: str) -> Computed:
    """The live sheet, the period's latest publication and what moved since it (on the
    office's worker)."""
    sheet = office.ranking.sheet(program_id, period)
    publication = office.publications.latest_of(program_id, period)
    changes = (office.publications.changes_since(publication, sheet)
               if publication is not None else None)
    return sheet, publication, changes


C = Command
RANKING_COMMANDS: tuple[Command, ...] = (
    C("explain-cell", "", "explain", "cmd.explain-cell",
      words="explain 说明 计算过程 drill-down why"),
    C("choose-program", "p", "choose_program", "cmd.ranking.choose-program", show=True),
    C("choose-period", "t", "choose_period", "cmd.ranking.choose-period", show=True),
    C("previous-period", "comma", "previous_period", "cmd.previous-period", key_display=","),
    C("next-period", "full_stop", "next_period", "cmd.next-period", key_display="."),
    C("refresh-ranking", "f5", "refresh_sheet", "cmd.refresh-ranking", show=True),
    C("close-ranking", "escape", "close", "cmd.close-ranking", show=True, key_display="Esc"),
    C("toggle-published", "v", "toggle_published", "cmd.ranking.toggle-published", show=True,
      words="通报 发布 published live 实时"),
    C("publish-ranking", "P", "publish", "cmd.ranking.publish", show=True,
      words="通报 发布 publish announce freeze"),
    C("export-ranking", "e", "export", "cmd.ranking.export", show=True,
      words="导出 export excel xlsx csv html 打印 print"),
)
del C


class RankingScreen(OfficeScreen):
    """The ranking sheet of `program_id` for `period` (default: today's period)."""

    SCREEN_COMMANDS = RANKING_COMMANDS
    DEFAULT_CSS = """
    RankingScreen #ranking-title { height: 1; text-style: bold; background: $panel; }
    RankingScreen #ranking-view { height: 1; color: $text-muted; }
    RankingScreen #ranking-view.-published { color: $text; background: $warning-muted; }
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
        self.publication: Publication | None = None  # the period's latest, if any
        self.changes: Changes | None = None  # what moved since it
        self.showing_published = False  # the grid shows the sheet as published
        self.recomputed = 0  # how often the sheet was computed, for tests and the bench
        self._asked = 0  # which computation is the latest asked for
        self.model = RankingModel(sheet_columns(self.program, self.lang))
        self.grid = ReadOnlyGrid(self.model, lang=self.lang, id="ranking-grid")

    # -- lookups ----------------------------------------------------------------------

    def _pick_program(self, program_id: str | None) -> Program:
        if program_id is not None:
            return self.facts.program(program_id)
        programs = self.facts.programs
        if not programs:
            raise LookupError(say(self.lang, "ui.ranking.no-program"))
        return programs[0]

    def _current_period(self) -> str:
        from vledger.sync.services.programs import ProgramService

        return ProgramService.current_period(self.program, self.today())

    # -- building ---------------------------------------------------------------------

    def commands(self) -> tuple[Command, ...]:
        """This screen's commands, then the grid's (minus editing), for the palette."""
        return (*RANKING_COMMANDS, *self.grid.commands())

    def active_grid(self) -> Grid:
        return self.grid

    def compose(self) -> ComposeResult:
        yield Static("", id="ranking-title", markup=False)
        yield Static("", id="ranking-view", markup=False)  # live, or as published
        yield self.grid
        yield Static("", id="ranking-notes", markup=False)
        yield Static("", id="ranking-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.grid.focus()
        # The first sheet may measure every village's ledger (seconds on a big township):
        # the worker does it while the keys stay alive; later ones hit the measures cache.
        self.query_one("#ranking-title", Static).update(t(self.lang, "working"))
        self.recompute()

    def label(self) -> None:
        if self.grid.lang != self.lang:  # a language switch: new column titles and marks
            self.grid.retitle(sheet_columns(self.program, self.lang), self.lang)
            if self.sheet is not None:
                self.show_sheet(self.sheet)

    def period_title(self, period_id: str) -> str:
        if period_id == YEAR:
            return say(self.lang, "ui.ranking.year")
        title = self.program.period(period_id).title
        return title if self.lang == "zh" else f"{period_id} {title}"

    def recompute(self) -> None:
        """Ask the worker for the sheet again and show it, keeping the cursor on its
        village; a newer request wins over one still running."""
        self._asked += 1
        asked, program, period = self._asked, self.program.id, self.period

        def computed(result: Computed) -> None:
            if asked == self._asked:
                self.recomputed += 1
                self.show_computed(result)

        def refused(problem: VledgerError) -> None:  # e.g. ledgers not all here yet
            if asked == self._asked:
                self.show_error(problem)

        self.ask(lambda office: compute(office, program, period), computed, failed=refused)

    def show_computed(self, computed: Computed) -> None:
        sheet, self.publication, self.changes = computed
        if self.publication is None:
            self.showing_published = False
        self.show_sheet(sheet)

    def show_sheet(self, sheet: RankingSheet) -> None:
        self.sheet = sheet
        self.query_one("#ranking-error").display = False
        published = self.showing_published and self.publication is not None
        title = (f"{t(self.lang, 'ranking')} · {self.program.title} · "
                 f"{self.period_title(self.period)}")
        self.query_one("#ranking-title", Static).update(title)
        view = self.query_one("#ranking-view", Static)
        view.update(view_title(self.publication, self.changes, published, self.lang))
        view.set_class(published, "-published")
        self.model.moved = moved_marks(self.changes.moved) if self.changes is not None else set()
        if published:
            assert self.publication is not None
            self.model.set_rows(published_rows(self.publication, self.lang))
            notes = self._published_notes(self.publication)
        else:
            self.model.set_rows(sheet_rows(sheet, self.lang))
            notes = sheet_notes(sheet, self.lang)
        self.grid.refresh_model()
        self.query_one("#ranking-notes", Static).update(notes)

    def _published_notes(self, publication: Publication) -> str:
        parts = []
        if publication.note:
            parts.append(say(self.lang, "ui.ranking.note", note=publication.note))
        areas = publication.sheet.get("areas") or {}
        if areas:
            money = "  ".join(f"{a} {v}" for a, v in areas.items())
            parts.append(say(self.lang, "ui.ranking.areas", money=money))
        return "\n".join(parts)

    def show_error(self, problem: VledgerError) -> None:
        box = self.query_one("#ranking-error", Static)
        box.update(f"{t(self.lang, 'error')}: "
                   + "; ".join(localize(p, self.lang) for p in problem.problems))
        box.display = True

    def store_changed(self, change: StoreChange) -> None:
        """A ledger or the township's sheets moved: rank again (the unchanged villages'
        measures come from the cache)."""
        if change.offices:
            if change.touches(self.facts.me.township):
                try:
                    self.program = self.facts.program(self.program.id)  # republished?
                except VledgerError:
                    pass
            self.when_quiet("rank", self.recompute)  # measuring opens ledgers: between keys

    # -- drill-down ---------------------------------------------------------------------

    @on(Grid.CellActivated, "#ranking-grid")
    def explain_cell(self, event: Grid.CellActivated) -> None:
        event.stop()
        self.open_explanation(event.row_id, event.column_id)

    def open_explanation(self, village: str, column_id: str) -> None:
        if self.sheet is None:
            return
        title = next((c.title for c in self.model.columns if c.id == column_id), column_id)
        if any(i.id == column_id for i in self.program.items):
            title = self.program.item(column_id).title
        notes = self._move_notes(village, column_id)
        publication = self.publication
        program, live = self.program, self.sheet
        published = self.showing_published and publication is not None
        if published:
            assert publication is not None
            # The sheet as published is explained from the documents as they were then.
            notes = [say(self.lang, "ui.ranking.explain-published",
                         version=publication.version,
                         at=publication.at[:16].replace("T", " ")), *notes]

        def job(office: Office) -> tuple[RankingSheet, dict[str, str]]:
            sheet = office.publications.recompute(publication) if published and publication \
                else live
            return sheet, ledger_row_labels(office, program, village)

        def explain(found: tuple[RankingSheet, dict[str, str]]) -> None:
            sheet, rows = found  # rows: how the clerk knows each counted row
            if village in {r.village for r in sheet.rows}:
                self.app.push_screen(ExplainScreen(sheet, village, column_id, self.lang,
                                                   title, notes, rows))

        self.ask(job, explain, failed=self.report)

    def _move_notes(self, village: str, column_id: str) -> list[str]:
        if self.changes is None:
            return []
        titles = {i.id: i.title for i in self.program.items}
        titles |= {c.id: c.title for c in self.model.columns}
        return move_lines(self.changes, village, column_id, self.lang, titles)

    # -- actions --------------------------------------------------------------------------

    def action_explain(self) -> None:
        row_id = self.grid.cursor_row_id
        if row_id is not None:
            self.open_explanation(row_id, self.grid.cursor_column_id)

    def action_refresh_sheet(self) -> None:
        self.recompute()

    def report(self, problem: VledgerError) -> None:
        """A refusal as the app shows every refusal (a notification)."""
        report = getattr(self.app, "report_error", None)
        if report is not None:
            report(problem)
        else:
            self.notify("; ".join(localize(p, self.lang) for p in problem.problems),
                        severity="error")

    def action_toggle_published(self) -> None:
        """Switch between the live sheet and the sheet as published."""
        if self.publication is None:
            self.notify(say(self.lang, "ui.ranking.not-published"), severity="warning")
            return
        self.showing_published = not self.showing_published
        if self.sheet is not None:
            self.show_sheet(self.sheet)

    @work(exclusive=True, group="ranking-prompt")
    async def action_publish(self) -> None:
        """Publish the period's sheet as it is now, with a note (the township's act)."""
        if not self.facts.me.is_township:
            self.notify(say(self.lang, "ui.ranking.township-only"), severity="warning")
            return
        note = await self.app.push_screen_wait(TextPrompt(
            say(self.lang, "ui.ranking.publish-title", period=self.period_title(self.period)),
            say(self.lang, "ui.ranking.publish-hint"), lang=self.lang))
        if note is None:
            return
        program, period = self.program.id, self.period

        def published(publication: Publication) -> None:
            self.notify(say(self.lang, "ui.ranking.published", version=publication.version,
                            id=publication.id))
            self.showing_published = False
            self.recompute()

        self.ask(lambda office: office.publications.publish(program, period, note), published,
                 failed=self.report, write=True)

    @work(exclusive=True, group="ranking-prompt")
    async def action_export(self) -> None:
        """Write the sheet shown (live or published) to a file; say where."""
        published = self.showing_published and self.publication is not None
        kind = "published" if published else "live"
        default = Path.home() / f"{self.program.id}-{self.period}-{kind}.xlsx"
        path = await self.app.push_screen_wait(TextPrompt(
            say(self.lang, "ui.ranking.export-title"), say(self.lang, "ui.ranking.export-hint"),
            str(default), lang=self.lang))
        if not path or not path.strip():
            return
        program, period, target = self.program.id, self.period, Path(path.strip()).expanduser()

        def written(where: Path) -> None:
            self.notify(say(self.lang, "ui.ranking.exported", path=str(where)), timeout=10)

        self.ask(lambda office: office.publications.export(program, period, target,
                                                           published=published),
                 written, failed=self.report)

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def _use_model(self, model: RankingModel) -> None:
        grid = self.grid
        self.model = grid.model = grid.stack.model = grid.view.model = model
        grid.widths = column_widths(model.columns)
        grid.cursor_col = 0

    def set_view(self, program: Program | None = None, period: str | None = None) -> None:
        if program is not None and program.id != self.program.id:
            self.program = program
            self.period = period or self._current_period()
            self._use_model(RankingModel(sheet_columns(program, self.lang)))
        elif period is not None:
            self.period = period
        for name, value in (("program_id", self.program.id), ("period", self.period)):
            if hasattr(self.app, name):  # the app remembers the clerk's choice for next time
                setattr(self.app, name, value)
        self.recompute()

    # The pickers are pushed at once (not from a worker), so keys typed right after the
    # one that opened them land in the picker, not on the sheet behind it.
    def action_choose_program(self) -> None:
        programs = self.facts.programs
        options = [(p.id, f"{p.title}（{p.id}）") for p in programs]

        def chosen(program_id: str | None) -> None:
            if program_id is not None:
                self.set_view(program=next(p for p in programs if p.id == program_id))

        self.app.push_screen(Picker(t(self.lang, "program"), options, self.program.id), chosen)

    def action_choose_period(self) -> None:
        options = [(pid, self.period_title(pid)) for pid in self.program.period_ids]

        def chosen(period: str | None) -> None:
            if period is not None:
                self.set_view(period=period)

        self.app.push_screen(Picker(t(self.lang, "period"), options, self.period), chosen)

    def action_previous_period(self) -> None:
        self._step_period(-1)

    def action_next_period(self) -> None:
        self._step_period(1)

    def _step_period(self, step: int) -> None:
        ids = list(self.program.period_ids)
        index = ids.index(self.period) if self.period in ids else 0
        self.set_view(period=ids[(index + step) % len(ids)])
