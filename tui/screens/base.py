"""What every vledger screen shares: the language and a table of named commands that become
the screen's bindings (with ids), its footer, its F1 help and its palette entries; and for
screens over an open office (all but first run and progress), the `Office`.

The contract the app relies on, for any screen it opens by name (subclass of OfficeScreen
or not):

- constructed as `Cls(office, lang=..., **params)`;
- `relabel(lang)` re-labels everything visible in the new language (the app calls it on
  every screen of the stack when the language switches);
- `palette_commands()` returns `(Command, callback)` pairs: what the palette offers while the
  screen is on top. Without it the palette falls back to the screen's bindings.

An OfficeScreen never calls the office on the event loop: it reads `self.facts` (who this
office is, the programs, the villages, kept by the worker) and asks everything else of
`self.worker` (tui/office_worker.py), whose answers come back as callbacks. It hears what
other processes wrote through `store_changed(change)`, called by the app while the screen
shows, or once it shows again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, on
from textual.binding import Binding
from textual.screen import Screen

from vledger.errors import VledgerError
from vledger.tui.commands import Command, bindings
from vledger.tui.office_worker import (
    LOOK_SECONDS,
    QUIET_SECONDS,
    OfficeFacts,
    OfficeWorker,
    StoreChange,
    worker_of,
)
from vledger.tui.textual_compat import set_bindings

if TYPE_CHECKING:
    from concurrent.futures import Future

    from vledger.sync.services.office import Office
    from vledger.tui.grid.view import Grid

T = TypeVar("T")
QUIET_LOOK = 0.25  # how often a screen looks whether the clerk paused

PaletteEntry = tuple[Command, Callable[[], Any]]

# Screen's own Tab bindings have no id; these replace them so every binding can be rebound.
FOCUS_COMMANDS: tuple[Command, ...] = (
    Command("focus-next", "tab", "app.focus_next", "cmd.focus-next"),
    Command("focus-previous", "shift+tab", "app.focus_previous", "cmd.focus-previous"),
)


class CommandScreen(Screen[None]):
    """A screen of named commands in the clerk's language; subclasses fill SCREEN_COMMANDS
    and `label()`."""

    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = ()

    def __init__(self, lang: str = "zh", **params: Any) -> None:
        super().__init__()
        self.lang = "zh" if lang == "zh" else "en"
        self._labelled = False
        self.params = params
        # Screen's defaults carry no ids: these replace them (FOCUS_COMMANDS for Tab).
        set_bindings(self, self.screen_bindings())

    # ---- commands ------------------------------------------------------------------------

    def all_commands(self) -> tuple[Command, ...]:
        return (*self.SCREEN_COMMANDS, *FOCUS_COMMANDS)

    def screen_bindings(self) -> list[Binding]:
        return bindings(self.all_commands(), self.lang)

    def palette_commands(self) -> list[PaletteEntry]:
        """This screen's commands, then those of the grid on it (if any)."""
        entries: list[PaletteEntry] = [
            (c, self._runner(c.action)) for c in self.SCREEN_COMMANDS
        ]
        grid = self.active_grid()
        if grid is not None:
            entries += [(c, self._grid_runner(grid, c.name)) for c in grid.commands()]
        return entries

    def active_grid(self) -> Grid | None:
        """The grid the clerk works in on this screen, if the screen has one."""
        return None

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run

    @staticmethod
    def _grid_runner(grid: Grid, name: str) -> Callable[[], Any]:
        async def run() -> None:
            grid.focus()
            await grid.run_command(name)

        return run

    # ---- language ------------------------------------------------------------------------

    def relabel(self, lang: str) -> None:
        self.lang = "zh" if lang == "zh" else "en"
        set_bindings(self, self.screen_bindings())
        self.label()
        self.refresh_bindings()

    def label(self) -> None:
        """Set every visible text in `self.lang`; called on mount and on a language switch."""

    def on_mount(self) -> None:
        # Textual calls this handler itself after a subclass's on_mount, which has called
        # it through super() already: label once (what the subclass set after stays).
        if not self._labelled:
            self._labelled = True
            self.label()


class OfficeScreen(CommandScreen):
    """A screen over the open office's services, through its worker."""

    def __init__(self, office: Office, lang: str = "zh", **params: Any) -> None:
        super().__init__(lang, **params)
        self.office = office  # never called here: `self.worker` runs what is asked of it
        found = worker_of(office)
        # A host that hands over an office no app worker owns (a test's app) gets one of
        # its own, closed with the screen; it also looks at the store itself.
        self._own_worker = found is None
        self.worker: OfficeWorker = found if found is not None else OfficeWorker.over(office)
        self._heard = StoreChange()
        self._when_quiet: dict[str, Callable[[], None]] = {}

    @property
    def facts(self) -> OfficeFacts:
        facts = self.worker.facts
        assert facts is not None, "screens open once the office's facts are read"
        return facts

    def ask(self, job: Callable[[Office], T], then: Callable[[T], None] | None = None, *,
            failed: Callable[[VledgerError], None] | None = None,
            write: bool = False) -> Future[T]:
        """Run `job(office)` on the worker; `then(result)` here when it is done (module
        docstring of tui/office_worker.py)."""
        return self.worker.run(self, job, then, failed=failed, write=write)

    # Decorated handlers with names of their own: Textual runs them once for this class,
    # whatever the subclasses' on_mount do (they call super().on_mount() themselves).
    @on(events.Mount)
    def _office_screen_mounted(self) -> None:
        if self._own_worker:
            self.set_interval(LOOK_SECONDS, self.look_at_store)
        self._quiet_check()  # work asked for before the screen showed

    def when_quiet(self, name: str, work: Callable[[], None]) -> None:
        """Run `work` once the clerk has not typed for QUIET_SECONDS (now, if so already).

        For what would hold keys on the office's worker and can wait: marks, counts, a
        ranking or a history read again because another process wrote. automerge's
        binding holds the GIL for whole calls, so even on the worker's thread reading a
        big journal would stall the screen; between keys it costs the clerk nothing.
        Asked again under the same `name` before it ran, it runs once.
        """
        first = not self._when_quiet
        self._when_quiet[name] = work
        if first:
            self._quiet_check()

    @property
    def waiting_for_quiet(self) -> bool:
        """Work waits for the clerk to pause (tests wait for it too)."""
        return bool(self._when_quiet)

    def _quiet_check(self) -> None:
        if not self._when_quiet or not self.is_attached:
            return
        quiet_for = getattr(self.app, "quiet_for", None)
        if quiet_for is None or quiet_for() >= QUIET_SECONDS:
            waiting, self._when_quiet = self._when_quiet, {}
            for work in waiting.values():
                work()
            return
        self.set_timer(QUIET_LOOK, self._quiet_check)

    def look_at_store(self) -> None:
        """The timer's cheap look at the store (a screen with a worker of its own)."""
        paused = getattr(self.app, "paused", None)
        self.worker.look(self, lambda change: self.hear(change, True),
                         tidy=paused is not None and paused())

    @on(events.Unmount)
    def _office_screen_unmounted(self) -> None:
        if self._own_worker:
            self.worker.close(close_office=False)  # the host keeps its office

    # -- what other processes wrote ------------------------------------------------------

    def hear(self, change: StoreChange, visible: bool) -> None:
        """The app tells what moved in the store: taken now while the screen shows,
        else kept until it shows again."""
        self._heard = self._heard | change
        if visible and self.is_attached:
            self._take_heard()

    def _take_heard(self) -> None:
        change, self._heard = self._heard, StoreChange()
        if change:
            self.store_changed(change)

    @on(events.ScreenResume)
    def _office_screen_resumed(self) -> None:
        self._take_heard()

    def store_changed(self, change: StoreChange) -> None:
        """Refresh what this screen shows of what moved (each screen says what)."""
