"""Home: which office this is, the township's name, the programs with their current period,
the sync state, whether the UI serves, and the open conflicts, and a key for every other
screen.

The programs shown are those of the year shown first (`me.year`); the other years' are one
key away (`o`) and in the palette. Only asking for them reads other years' documents.

The home shows at once: the counts (open conflicts, unsynced edits, last sync) are read
by the office's worker and fill in when ready ("counting…" until then). The history and
sync services cache them per document by its heads, so after the first start they take
milliseconds. They are counted again whenever the store moves (another process wrote, a
sync ended) and when the screen shows again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from vledger.messages import say
from vledger.sync.services.programs import ProgramService
from vledger.tui.commands import Command
from vledger.tui.i18n import t
from vledger.tui.office_worker import StoreChange
from vledger.tui.screens.base import OfficeScreen, PaletteEntry
from vledger.tui.screens.history_text import show_time
from vledger.tui.widgets.palette import BoundCommand

if TYPE_CHECKING:
    from vledger.domain.program import Program
    from vledger.sync.services.brought import Brought
    from vledger.sync.services.office import Office
    from vledger.sync.services.sync import SyncState

C = Command
HOME_COMMANDS: tuple[Command, ...] = (
    C("open-ledger", "enter,l", "open('ledger')", "cmd.open-ledger", show=True, key_display="⏎",
      words="台账 ledger"),
    C("open-sheets", "s", "open('sheets')", "cmd.open-sheets", show=True,
      words="目标 targets 表格 sheets"),
    C("open-ranking", "r", "open('ranking')", "cmd.open-ranking", show=True, words="排名 ranking"),
    C("open-history", "h", "open('history')", "cmd.open-history", show=True, words="历史 history"),
    C("open-conflicts", "c", "open('conflicts')", "cmd.open-conflicts", show=True,
      words="冲突 conflicts"),
    C("open-sync", "y", "open('sync')", "cmd.open-sync", words="同步 sync"),
    C("other-years", "o", "other_years", "cmd.home.other-years",
      words="年度 其他年度 去年 明年 years other year"),
    C("refresh", "f5", "refresh_home", "cmd.refresh"),
)
del C


@dataclass(frozen=True)
class HomeCounts:
    """What the home counts on the worker: open conflicts and the sync state."""

    conflicts: int
    sync: SyncState  # never synced, or the last sync and the edits no peer holds yet


def _count(office: Office) -> HomeCounts:
    """The home's counts (on the office's worker)."""
    return HomeCounts(office.history.open_conflict_count(), office.sync.sync_state())


class HomeScreen(OfficeScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = HOME_COMMANDS

    def __init__(self, office: Office, lang: str = "zh",
                 today: date | Callable[[], date] | None = None, **params: Any) -> None:
        super().__init__(office, lang, **params)
        self.today = today() if callable(today) else (today or date.today())
        self.counts: HomeCounts | None = None  # None: still counting
        self.other_years = False  # the other years' programs are listed too
        self._resumed = False  # shown once: a resume means the clerk came back to it

    def compose(self) -> ComposeResult:
        with Vertical(id="home"):
            yield Static(id="home-township", classes="title")
            yield Static(id="home-office")
            yield Static(id="home-sync")
            yield Static(id="home-serving")
            yield Static(id="home-conflicts")
            yield Static(id="home-brought", classes="hint")
            yield Static(id="home-programs-title", classes="section")
            yield OptionList(id="home-programs")
            yield Static(id="home-hint", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        # Textual calls CommandScreen.on_mount as well (every class's handler in turn),
        # which labels the screen: calling it from here too labelled it twice.
        self.query_one("#home-programs", OptionList).focus()

    def label(self) -> None:
        facts = self.facts
        me = facts.identity
        lang = self.lang
        kind = say(lang, "cli.kind.township" if facts.me.is_township else "cli.kind.village")
        self.query_one("#home-township", Static).update(me.township_name)
        self.query_one("#home-office", Static).update(
            f"{t(lang, 'office')}: {me.office_name or me.office} ({kind} {me.office})   "
            f"{say(lang, 'ui.home.year')}: {me.year}"
        )
        self._show_counts(self.counts)
        self.count()
        self.query_one("#home-programs-title", Static).update(
            f"{t(lang, 'programs')} ({t(lang, 'period')})"
        )
        self._fill_programs()
        self.serving_changed()
        self.query_one("#home-hint", Static).update(say(lang, "ui.home.hint"))
        self._show_brought()

    def _show_brought(self) -> None:
        """What the last sync from this UI brought (the sync screen keeps it on the app)."""
        brought: Brought | None = getattr(self.app, "last_brought", None)
        box = self.query_one("#home-brought", Static)
        box.display = brought is not None
        if brought is not None:
            box.update(say(self.lang, "ui.home.brought", line=brought.line(self.lang)))

    def count(self) -> None:
        """Count on the office's worker: the first time on a big township takes seconds."""
        self.ask(_count, self._show_counts)

    def store_changed(self, change: StoreChange) -> None:
        if change.touches(self.facts.me.township):
            self._fill_programs()  # a program published, the roster changed
        self.when_quiet("count", self.count)  # every document's conflicts: between keys

    def serving_changed(self) -> None:
        """Whether this UI serves its home, and where (the sync screen starts it)."""
        serving = getattr(self.app, "serving", None)
        line = self.query_one("#home-serving", Static)
        line.display = serving is not None and serving.active
        if serving is not None and serving.active:
            synced = sum(1 for p in serving.peers.values() if p.syncs)
            line.update(say(self.lang, "ui.home.serving",
                            address=serving.address or serving.listen, count=synced))

    def _show_counts(self, counts: HomeCounts | None) -> None:
        self.counts = counts
        counting = say(self.lang, "ui.home.counting")
        if counts is None:
            sync = conflicts = counting
        else:
            conflicts = str(counts.conflicts)
            state = counts.sync
            if state.last_sync is None or state.unsynced is None:
                # Every edit of a home that never synced is unsynced: a count says nothing.
                sync = state.text(self.lang)
            else:
                last = state.last_sync
                when = say(self.lang, "ui.home.last-sync",
                           office=self.facts.office_name(last.office),
                           at=show_time(last.last_sync))
                sync = f"{when} · {t(self.lang, 'unsynced')} {state.unsynced}"
        self.query_one("#home-sync", Static).update(f"{t(self.lang, 'sync')}: {sync}")
        self.query_one("#home-conflicts", Static).update(
            f"{t(self.lang, 'open-conflicts')}: {conflicts}")

    def _fill_programs(self) -> None:
        facts = self.facts
        shown = facts.me.year
        years = facts.years
        programs = list(facts.programs_of(shown))
        others = [y for y in years if y != shown]
        options = self.query_one("#home-programs", OptionList)
        chosen = options.highlighted
        options.clear_options()
        for program in programs:
            options.add_option(self._program_option(program))
        if not programs and not others:
            options.add_option(Option(say(self.lang, "ui.home.no-programs"), disabled=True))
        if others and (self.other_years or not programs):
            for year in others:
                options.add_option(Option(f"── {year} ──", disabled=True))
                for program in facts.programs_of(year):
                    programs.append(program)
                    options.add_option(self._program_option(program))
        elif others:
            options.add_option(Option(say(self.lang, "ui.home.other-years",
                                          years=", ".join(map(str, others))), disabled=True))
        current = getattr(self.app, "program_id", None)
        ids = [p.id for p in programs]
        if current in ids:
            options.highlighted = options.get_option_index(current)
        elif programs:
            options.highlighted = (chosen if chosen is not None and chosen < options.option_count
                                   and not options.get_option_at_index(chosen).disabled
                                   else options.get_option_index(ids[0]))

    def _program_option(self, program: Program) -> Option:
        period_id = ProgramService.current_period(program, self.today)
        period = program.period(period_id).title
        return Option(f"{program.title}  ·  {period}", id=program.id)

    def action_other_years(self) -> None:
        """Show (or hide again) the programs of the other years held."""
        self.other_years = not self.other_years
        self._fill_programs()

    def palette_commands(self) -> list[PaletteEntry]:
        """The screen's commands, then one per program of every year: the palette finds a
        program of another year by its title, id or year."""
        entries = super().palette_commands()
        for program in self.facts.programs:
            text = say(self.lang, "ui.home.open-program", title=program.title,
                       year=program.year)
            command = BoundCommand(f"program:{program.id}", "", "", said="", text=text,
                                   tooltip=program.id, words=f"{program.id} {program.year}")
            entries.append((command, self._program_opener(program.id)))
        return entries

    def _program_opener(self, program_id: str) -> Callable[[], Any]:
        def run() -> None:
            self.app.program_id = program_id  # type: ignore[attr-defined]
            self.app.period = None  # type: ignore[attr-defined]
            self.app.open_screen("ledger")  # type: ignore[attr-defined]

        return run

    @property
    def chosen_program(self) -> str | None:
        options = self.query_one("#home-programs", OptionList)
        index = options.highlighted
        if index is None:
            return None
        option = options.get_option_at_index(index)
        return option.id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self.app.program_id = event.option.id  # type: ignore[attr-defined]
            self.app.period = None  # type: ignore[attr-defined]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open("ledger")

    def action_open(self, name: str) -> None:
        program = self.chosen_program
        if program is not None:
            self.app.program_id = program  # type: ignore[attr-defined]
        self.app.open_screen(name)  # type: ignore[attr-defined]

    def action_refresh_home(self) -> None:
        self.label()

    def on_screen_resume(self) -> None:
        if not self._resumed:  # shown for the first time: just labelled on mount
            self._resumed = True
            return
        self.label()  # conflicts may have been settled, programs published
