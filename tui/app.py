"""The vledger application: the screens registry, app-wide commands (help, language, quit,
palette), the one place refusals become a visible notification, and `run_app` for the CLI.

A `VledgerError` from a key, a palette command or a worker is shown and the clerk carries
on; any other exception is a bug and crashes the app (Textual's report; a failed test).

The office is used by one worker thread only (tui/office_worker.py): the event loop never
waits on it. Once a second the worker looks at the store's change signal; what another
process wrote (a sync that arrived, a command) reaches every screen showing it within two
seconds, without a key (`store_changed`); on the same look, when the clerk has paused, the
app settles its memory (tui/memory.py: full collections between keys, not while typing).
The app may also serve its home (tui/serving.py:
a child `vledger serve`); every child process and the worker are stopped and joined before
the app exits.

Screens are registered in SCREENS by name and imported only when first opened, so the app
starts without loading every screen. Each is built as `Cls(office, lang=..., **params)`,
with `params` filled from the app's context (the program, village and period the clerk last
chose) and limited to the ones its constructor accepts.

To add a screen: write `tui/screens/<name>.py` (see tui/screens/base.py for the contract),
add a ScreenSpec below; the palette gets "open <title>" and the home screen can bind a key.
To add palette commands to a screen: add Commands to its SCREEN_COMMANDS (or return them
from `palette_commands()`); the palette shows what the screen on top offers.
"""

from __future__ import annotations

import importlib
import inspect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from vledger.errors import VledgerError
from vledger.messages import Message, localize, say
from vledger.tui import memory
from vledger.tui.commands import APP_COMMANDS, Command, key_label
from vledger.tui.i18n import other, t
from vledger.tui.key_turns import KeySettled, KeyTurns
from vledger.tui.office_worker import (
    LOOK_SECONDS,
    QUIET_SECONDS,
    OfficeFacts,
    OfficeWorker,
    StoreChange,
    register,
    unregister,
)
from vledger.tui.textual_compat import mend_footer, own_bindings, set_bindings
from vledger.tui.widgets.palette import CommandsProvider

# Every Footer of the app forgets the keys it replaced (tui/textual_compat.py says why).
mend_footer()

if TYPE_CHECKING:
    from vledger.sync.services.office import Office
    from vledger.tui.children import Child
    from vledger.tui.serving import Serving

FIRST_DRAW_WAIT = 1.0  # seconds the office's jobs wait at most for the first home screen
Progress = Callable[[float, str], None]  # fraction done (0..1), what is being done
Prepare = Callable[[Progress], None]


@dataclass(frozen=True)
class ScreenSpec:
    """A screen the app opens by name: where its class is and what it is called."""

    name: str
    module: str
    cls: str
    said: str  # catalogue id of what the screen is called; `<said>.help` opens it
    words: str = ""  # more words the palette matches

    def command(self) -> Command:
        return Command(f"open-{self.name}", "", f"app.open_screen('{self.name}')", self.said,
                       words=self.words)


SCREENS: dict[str, ScreenSpec] = {
    s.name: s for s in (
        ScreenSpec("home", "vledger.tui.screens.home", "HomeScreen", "cmd.screen.home",
                   "主页 home start"),
        ScreenSpec("ledger", "vledger.tui.screens.ledger", "LedgerScreen", "cmd.screen.ledger",
                   "台账 ledger rows 记录"),
        ScreenSpec("sheets", "vledger.tui.screens.sheets", "SheetsScreen", "cmd.screen.sheets",
                   "目标 任务数 targets 录入 entered 人工评分 manual 加扣分 adjustments"),
        ScreenSpec("ranking", "vledger.tui.screens.ranking", "RankingScreen",
                   "cmd.screen.ranking", "排名 名次 考核 ranking rank assessment score"),
        ScreenSpec("history", "vledger.tui.screens.history", "HistoryScreen",
                   "cmd.screen.history", "历史 日志 修改记录 history journal blame"),
        ScreenSpec("conflicts", "vledger.tui.screens.conflicts", "ConflictsScreen",
                   "cmd.screen.conflicts", "冲突 conflicts settle resolve"),
        ScreenSpec("sync", "vledger.tui.screens.sync", "SyncScreen", "cmd.screen.sync",
                   "同步 sync peers bundle export import"),
    )
}


class VLedgerApp(App[int]):
    """The UI on one home: first run when it holds no office, else the office's home."""

    CSS_PATH = "app.tcss"
    COMMANDS: ClassVar[set[Any]] = {CommandsProvider}
    # Every app binding has an id: App's own two keys (ctrl+q, ctrl+c) are bound again here,
    # and the palette's own key is one of them (Textual then adds no binding of its own).
    BINDINGS: ClassVar[list[Any]] = [
        Binding(c.keys, c.action.removeprefix("app."), c.title("en"), show=c.show, id=c.name,
                priority=c.name in ("quit", "command-palette", "help", "switch-language"))
        for c in APP_COMMANDS
    ]

    # Full garbage collections at pauses rather than while typing (tui/memory.py); off
    # only to measure what it saves (bench.tui_grid).
    settles_memory: ClassVar[bool] = True

    def __init__(
        self, home: Path, lang: str = "zh", *, office: Office | None = None,
        today: date | None = None,
        prepare: Prepare | None = None,
        serve: str | None = None,
        lang_remembered: bool = False,
    ) -> None:
        super().__init__()
        self.home = Path(home)
        self.lang = "zh" if lang == "zh" else "en"
        # Start in the language last chosen in the home's UI, if any (`lang` otherwise):
        # read from the office `open_early` opens.
        self.lang_remembered = lang_remembered
        self.office = office
        self.worker: OfficeWorker | None = None  # the one thread that uses the office
        self.today = today or date.today()
        self.prepare = prepare
        self.serve_on = serve  # HOST:PORT to serve on once the office is open
        self.serving: Serving | None = None
        self.opened = False  # the office's home (or first run, or why not) shows
        self.last_key = 0.0  # time.monotonic() of the clerk's last key (quiet_for)
        self.key_turns = KeyTurns(self._send_key, self.set_timer)
        self.children_running: list[Child] = []  # every child process started, to stop
        self.program_id: str | None = None  # the clerk's context, shared by every screen
        self.village: str | None = None
        self.period: str | None = None
        self.errors: list[VledgerError] = []  # shown to the clerk; kept for tests
        # Why `open_early` could not open the office (and whether the home holds one):
        # shown by `start` as if the app had tried itself.
        self._refused: tuple[VledgerError, bool] | None = None
        self._home_drawn = threading.Event()  # set once the home is drawn the first time
        # How many screens the stack holds with the home on top: 1 when the home is the
        # app's first screen (`get_default_screen`), 2 when it was pushed over a blank one.
        self.home_depth = 1
        self._home_first = False  # the home is the app's first screen
        self._bindings_labelled()

    # ---- start ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = t(self.lang, "app-title")
        self.call_after_refresh(memory.resume)  # collections again once a screen shows
        if self.prepare is not None:
            from vledger.tui.screens.progress import ProgressScreen

            self.push_screen(ProgressScreen(self.lang))
            self.run_worker(self._prepare, thread=True, exit_on_error=False, name="prepare")
            return
        self.start()

    def _prepare(self) -> None:
        assert self.prepare is not None

        def progress(done: float, what: str) -> None:
            self.call_from_thread(self._progress, done, what)

        self.prepare(progress)
        self.call_from_thread(self.start)

    def _progress(self, done: float, what: str) -> None:
        update = getattr(self.screen, "progress", None)
        if update is not None:
            update(done, what)

    def get_default_screen(self) -> Screen[Any]:
        """The home, when `open_early` has read the office's facts: it is then the app's
        first screen, drawn once, instead of a blank screen drawn and then covered."""
        if self.prepare is not None or self.worker is None or self.worker.facts is None:
            return super().get_default_screen()
        self._home_waits_for_its_draw()  # before the home mounts and asks its counts
        self._home_first = True
        return self.build_screen("home")

    def start(self) -> None:
        """Open the home's office (in a thread), then its home screen or the first-run
        screen."""
        if self._refused is not None:  # `open_early` could not open the office
            refusal, exists = self._refused
            self._refused = None
            self._no_office(refusal, exists)
            return
        if self.worker is not None and self.worker.facts is not None:  # `open_early`
            if self._home_first:  # the app's first screen (`get_default_screen`)
                self._home_shown()
            else:
                self._show_home()
            return
        if self.office is not None:
            self.office_ready(self.office)
            return
        self.run_worker(self._open_home, thread=True, exit_on_error=False, name="open")

    def open_early(self) -> None:
        """Open the office and read its facts before the app runs (`run_app` does): the
        first screen drawn is then the home. Opened from the app's thread instead, the
        office would take turns at the interpreter with Textual starting up, and a blank
        screen would be drawn first. When the office cannot open, `start` shows why, as
        when it opens the office itself (first run, busy, damaged: a damaged store is set
        aside on the first try, so it is not tried twice)."""
        office = self._open_or_why()
        if isinstance(office, tuple):
            self._refused = office
            return
        chosen = office.remembered_lang if self.lang_remembered else None
        if chosen is not None and chosen != self.lang:
            self.lang = office.lang = chosen
            self._bindings_labelled()
        try:
            worker = OfficeWorker.read_here(office)
        except VledgerError as refusal:
            office.close()
            self._refused = (refusal, True)
            return
        self.office, self.worker = office, worker
        register(office, worker)

    def _open_home(self) -> None:
        office = self._open_or_why()
        if isinstance(office, tuple):
            self.call_from_thread(self._no_office, *office)
            return
        self.call_from_thread(self.office_ready, office)

    def _open_or_why(self) -> Office | tuple[VledgerError, bool]:
        """The home's office; or why it cannot open, and whether the home holds one."""
        from vledger.sync.services.office import Office

        try:
            office = Office.open(self.home, lang=self.lang)
        except VledgerError as refusal:
            return refusal, Office.exists(self.home)
        office.tidy_when_asked()  # at a pause in typing (look_at_store), not mid-keys
        return office

    def _no_office(self, refusal: VledgerError, exists: bool) -> None:
        self.opened = True
        if exists:  # busy or damaged: say so, quit with Ctrl+Q
            from vledger.tui.screens.progress import ProgressScreen

            screen = ProgressScreen(self.lang)
            self._replace_all(screen)
            self.call_after_refresh(screen.failed, refusal)
            self.report_error(refusal)
            return
        from vledger.tui.screens.first_run import FirstRunScreen

        self._replace_all(FirstRunScreen(lang=self.lang, home=self.home))

    def on_unmount(self) -> None:
        self.stop_helpers()
        memory.release()

    def stop_helpers(self) -> None:
        """Stop every child process and the office's worker, and wait for them: nothing
        this app started outlives it (run_app calls this again after a crash)."""
        if self.serving is not None:
            self.serving.stop()
        for child in self.children_running:
            child.stop()
        self.children_running.clear()
        if self.worker is not None:
            worker, office = self.worker, self.office
            self.worker = None
            worker.close()  # the writes asked for are finished first; the office closes
            if office is not None:
                unregister(office)
        self.office = None

    def office_ready(self, office: Office) -> None:
        """The office is open: give it to its worker, read its facts, show its home."""
        self.office = office
        office.lang = self.lang
        worker = self.worker = OfficeWorker(lambda: office)
        register(office, worker)
        future = worker.start()
        future.add_done_callback(lambda done: self.call_later(self._facts_read, done))

    def _facts_read(self, done: Any) -> None:
        error = done.exception()
        if error is not None:
            if not isinstance(error, VledgerError):
                raise error
            self._no_office(error, True)
            return
        assert self.worker is not None
        self.worker.facts = done.result()
        self._show_home()

    def _show_home(self) -> None:
        """The office's facts are read: show its home (its counts after the first draw)."""
        self._home_waits_for_its_draw()
        self._replace_all(self.build_screen("home"))
        self._home_shown()

    def _home_waits_for_its_draw(self) -> None:
        """What the home screen asks the office on mount (its counts: automerge work that
        holds the GIL) waits until the screen has been drawn once: the clerk sees the home
        first, "counting…" in it, instead of waiting for both."""
        assert self.worker is not None
        drawn = self._home_drawn = threading.Event()
        self.worker.submit(lambda _office: drawn.wait(FIRST_DRAW_WAIT))

    def _home_shown(self) -> None:
        """The home is on the screen stack: its counts go on after the next draw; the
        store is looked at from now on; serving starts if asked."""
        self.call_after_refresh(self._home_drawn.set)
        self.opened = True
        self.set_interval(LOOK_SECONDS, self.look_at_store)
        if self.serve_on is not None:
            self.start_serving(self.serve_on)

    @property
    def facts(self) -> OfficeFacts:
        assert self.worker is not None and self.worker.facts is not None, "office not open"
        return self.worker.facts

    # ---- live: what other processes wrote ------------------------------------------------

    def look_at_store(self) -> None:
        """The timer's cheap look (the worker does it); screens hear what moved. At a pause
        in typing, memory is settled (tui/memory.py)."""
        if self.worker is not None:
            self.worker.look(self, self.store_changed, tidy=self.paused())
        if self.settles_memory:
            memory.settle_if_due(self.quiet_for())

    def store_changed(self, change: StoreChange) -> None:
        """Tell the screens: those the clerk sees now at once, the others when they show
        again (each refreshes only what it shows)."""
        visible = True
        for screen in reversed(self.screen_stack):
            hear = getattr(screen, "hear", None)
            if hear is not None:
                hear(change, visible and screen.is_mounted)
            if not isinstance(screen, ModalScreen):
                visible = False

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:  # read from the terminal: in typing order
                self.last_key = time.monotonic()
                await self.key_turns.read(event)
                return
            await super().on_event(event)  # bubbled back up: the bindings run
            await self.key_turns.reached_app(event)
            return
        await super().on_event(event)

    async def on_key_settled(self, message: KeySettled) -> None:
        await self.key_turns.reached_app(message.key)

    async def _send_key(self, key: events.Key) -> MessagePump | None:
        """Textual's own routing of a key read from the terminal; the widget it went to,
        or None when a priority binding took it."""
        target = self.focused or self.screen
        await super().on_event(key)
        return target if key.is_forwarded else None

    def paused(self) -> bool:
        """The clerk has paused long enough for work that holds keys."""
        return self.quiet_for() >= QUIET_SECONDS

    def quiet_for(self) -> float:
        """Seconds since the clerk's last key: work that would hold keys (reading a whole
        journal holds the GIL for a second on a big ledger) waits for a pause."""
        return time.monotonic() - self.last_key

    # ---- serving ---------------------------------------------------------------------

    def start_serving(self, listen: str) -> None:
        """Serve this home on `listen` from a child `vledger serve` (tui/serving.py)."""
        from vledger.tui.serving import Serving

        if self.serving is not None and self.serving.active:
            return
        self.serving = Serving(self, self.home, self.lang, listen,
                               changed=self.serving_changed,
                               synced=lambda: self.store_changed(StoreChange(synced=True)))
        self.serving.start()
        self.serving_changed()

    def stop_serving(self) -> None:
        if self.serving is not None and self.serving.active:
            serving = self.serving
            # Stopping waits for the child to end: on a thread, the keys stay alive.
            serving.state = "stopped"
            self.run_worker(serving.stop, thread=True, name="stop-serving",
                            exit_on_error=False)
            self.serving_changed()

    def serving_changed(self) -> None:
        for screen in self.screen_stack:
            changed = getattr(screen, "serving_changed", None)
            if changed is not None and screen.is_mounted:  # (one mounting says it itself)
                changed()

    def start_child(self, child: Child) -> None:
        """Start a vledger command as a child; it is stopped when the app exits."""
        self.children_running = [c for c in self.children_running if c.running]
        self.children_running.append(child)
        child.start()

    def _replace_all(self, screen: Screen[Any]) -> None:
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)
        self.home_depth = 2

    # ---- screens -------------------------------------------------------------------------

    def context(self) -> dict[str, Any]:
        """Defaults for a screen's parameters: what the clerk chose last, else the first."""
        facts = self.facts
        program_id = self.program_id
        if program_id is None:
            ids = facts.program_ids()
            program_id = ids[0] if ids else None
        village = self.village
        if village is None:
            if facts.me.is_township:
                village = facts.villages[0].id if facts.villages else None
            else:
                village = facts.me.office
        period = self.period
        if period is None and program_id is not None:
            from vledger.sync.services.programs import ProgramService

            program = facts.program(program_id)
            period = ProgramService.current_period(program, self.today)
        # `today` is a clock (a callable), the shape every screen takes it in.
        return {"program_id": program_id, "village": village, "period": period,
                "today": lambda: self.today}

    def build_screen(self, name: str, **params: Any) -> Screen[Any]:
        spec = SCREENS[name]
        cls = getattr(importlib.import_module(spec.module), spec.cls)
        # The context fills only parameters a screen names; what the caller passes goes
        # through as is (a screen taking **filters is not narrowed by the app's context).
        signature = inspect.signature(cls)
        context = {k: v for k, v in self.context().items() if k in signature.parameters}
        return cls(self.office, lang=self.lang, **{**context, **params})  # type: ignore[no-any-return]

    def action_open_screen(self, name: str, **params: Any) -> None:
        self.open_screen(name, **params)

    def open_screen(self, name: str, **params: Any) -> None:
        if self.office is None:
            self.notify(say(self.lang, "ui.app.no-office"))
            return
        if name == "home":
            while len(self.screen_stack) > self.home_depth:
                self.pop_screen()
            return
        spec = SCREENS[name]
        try:
            screen = self.build_screen(name, **params)
        except (ModuleNotFoundError, AttributeError) as missing:
            if getattr(missing, "name", None) not in (spec.module, spec.cls, None):
                raise
            self.notify(say(self.lang, "ui.app.not-available", screen=Message(spec.said)),
                        severity="warning")
            return
        if type(self.screen) is type(screen) and len(self.screen_stack) > self.home_depth:
            self.pop_screen()  # one screen of a kind at a time: Esc always leads home
        self.push_screen(screen)

    # ---- app-wide commands -----------------------------------------------------------------

    def palette_commands(self) -> list[tuple[Command, Callable[[], Any]]]:
        entries: list[tuple[Command, Callable[[], Any]]] = []
        if self.office is not None:
            for spec in SCREENS.values():
                entries.append((spec.command(), self._opener(spec.name)))
        for command in APP_COMMANDS:
            if command.name != "command-palette":
                entries.append((command, self._runner(command.action)))
        return entries

    def _opener(self, name: str) -> Callable[[], Any]:
        return lambda: self.open_screen(name)

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run

    async def action_quit(self) -> None:
        """Ctrl+Q. A grid (or its editor) with focus takes it in typing order and stores a
        value being typed before quitting (tui/grid/view.py `Grid._quit`)."""
        quit_asked = getattr(self.focused, "quit_asked", None)
        if quit_asked is not None:
            quit_asked()
            return
        self.exit()

    def action_help(self) -> None:
        from vledger.tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.screen, self.lang))

    def action_switch_language(self) -> None:
        self.set_lang(other(self.lang))
        if self.worker is not None:  # the next start opens in the language chosen last
            lang = self.lang
            self.worker.run(self, lambda office: office.remember_lang(lang), write=True)

    def action_command_palette(self) -> None:
        """Textual's palette, its placeholder and "no matches" in the clerk's language."""
        from textual.command import CommandPalette

        from vledger.tui.textual_compat import SaidPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(SaidPalette(
                placeholder=say(self.lang, "ui.palette.placeholder"),
                no_matches=say(self.lang, "ui.palette.no-matches"), id="--command-palette"))

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a field): say which key does."""
        quit_keys = next(c for c in APP_COMMANDS if c.name == "quit")
        self.notify(say(self.lang, "ui.app.quit-how", key=key_label(quit_keys)),
                    title=say(self.lang, "ui.app.quit-title"))

    def set_lang(self, lang: str) -> None:
        """Re-label everything: the app's keys, the title and every screen on the stack."""
        self.lang = "zh" if lang == "zh" else "en"
        if self.office is not None:
            self.office.lang = self.lang  # the services' refusals speak it too
        self.title = t(self.lang, "app-title")
        self._bindings_labelled()
        for screen in self.screen_stack:
            relabel = getattr(screen, "relabel", None)
            if relabel is not None:
                relabel(self.lang)
        self.refresh_bindings()

    def _bindings_labelled(self) -> None:
        """The app's keys, described in the clerk's language, in the order they had."""
        commands = {c.name: c for c in APP_COMMANDS}
        labelled = []
        for _key, binding in own_bindings(self):
            command = commands.get(binding.id or "")
            labelled.append(binding if command is None else replace(
                binding, description=command.title(self.lang), tooltip=command.help(self.lang)))
        set_bindings(self, labelled)

    # ---- errors: one handler ---------------------------------------------------------------

    def report_error(self, error: VledgerError) -> None:
        """Show a refusal as a notification, one line per problem; the app carries on."""
        self.errors.append(error)
        text = "\n".join(localize(p, self.lang) for p in error.problems)
        text = text or type(error).__name__
        self.notify(text, title=t(self.lang, "error"), severity="error", timeout=10)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        error = event.worker.error
        if event.state is not WorkerState.ERROR or error is None:
            return
        if not isinstance(error, VledgerError):
            raise error  # a bug in a worker: fail loudly, like one in a key's action
        self.report_error(error)
        if event.worker.name == "prepare":
            failed = getattr(self.screen, "failed", None)
            if failed is not None:
                failed(error)

    async def run_action(self, action: Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:
        # Every key and palette command runs through here: a refusal is shown and the
        # clerk carries on (edits are stored one by one). Anything else is a bug and
        # propagates: Textual ends the app with its report, and a Pilot test fails.
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except VledgerError as error:
            self.report_error(error)
            return True


def run_app(home: Path, lang: str, *, prepare: Prepare | None = None,
            serve: str | None = None, lang_remembered: bool = False) -> int:
    """Run the UI on `home` until the clerk quits; the process exit code (0 on Ctrl+Q).

    `prepare(progress)` (e.g. building the demo township) runs first in a worker thread
    while a progress screen shows `progress(fraction, text)`; the office opens after it.
    `serve` (HOST:PORT): serve the home from the start, as the sync screen's key does.
    `lang_remembered`: start in the language last chosen in the home's UI, if it has one.
    """
    app = VLedgerApp(home, lang, prepare=prepare, serve=serve, lang_remembered=lang_remembered)
    try:
        if prepare is None:
            app.open_early()
        result = app.run()
    finally:
        app.stop_helpers()
    code = app.return_code
    return code if code is not None else (result or 0)
