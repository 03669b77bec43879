"""First run: a home with no office. Start a township (its name, then the office is made)
or join with the invitation file the township handed over (its path, then the home
becomes that village's office and the reply for the township is written beside it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.screens.base import CommandScreen

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

FIRST_RUN_COMMANDS: tuple[Command, ...] = (
    Command("start-township", "f2", "start", "cmd.start-township", show=True,
            words="建立 乡镇 start township init"),
    Command("join-invitation", "f3", "join", "cmd.join-invitation", show=True,
            words="加入 邀请 join invitation"),
)


class FirstRunScreen(CommandScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = FIRST_RUN_COMMANDS

    def __init__(self, lang: str = "zh", *, home: Path) -> None:
        super().__init__(lang)
        self.home = home
        self.mode = "start"  # what the input below the choices asks for: "start" or "join"

    def compose(self) -> ComposeResult:
        with Vertical(id="first-run"):
            yield Static(id="first-title", classes="title")
            yield Static(id="first-intro")
            yield OptionList(Option("", id="start"), Option("", id="join"), id="first-choice")
            yield Static(id="first-name-label")
            yield Input(id="first-name")
            yield Static(id="first-message", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#first-name-label").display = False
        self.query_one("#first-name").display = False
        self.query_one("#first-choice", OptionList).focus()

    def label(self) -> None:
        self.query_one("#first-title", Static).update(say(self.lang, "ui.first.welcome"))
        self.query_one("#first-intro", Static).update(
            say(self.lang, "ui.first.no-office", home=self.home))
        choice = self.query_one("#first-choice", OptionList)
        choice.replace_option_prompt("start", say(self.lang, "ui.first.start"))
        choice.replace_option_prompt("join", say(self.lang, "ui.first.join"))
        if self.mode == "start":
            self.query_one("#first-name-label", Static).update(
                say(self.lang, "ui.first.name"))
            self.query_one("#first-name", Input).placeholder = say(
                self.lang, "ui.first.name-example")
        else:
            self.query_one("#first-name-label", Static).update(
                say(self.lang, "ui.first.invitation"))
            self.query_one("#first-name", Input).placeholder = say(
                self.lang, "ui.first.invitation-example")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == "start":
            self.action_start()
        else:
            self.action_join()

    def action_start(self) -> None:
        self._ask("start")

    def action_join(self) -> None:
        self._ask("join")

    def _ask(self, mode: str) -> None:
        self.mode = mode
        self.label()
        self.query_one("#first-name-label").display = True
        field = self.query_one("#first-name", Input)
        field.value = ""
        field.display = True
        field.focus()
        self.say("")

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#first-message", Static)
        message.set_class(error, "-error")
        message.update(text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self.mode == "join":
            self._start_join(text)
            return
        if not text:
            self.say(say(self.lang, "ui.first.name-missing"), error=True)
            return
        self.say(say(self.lang, "ui.first.creating"))
        self.run_worker(lambda: self._create(text), thread=True, exit_on_error=False,
                        name="create-township")

    def _start_join(self, text: str) -> None:
        path = Path(text).expanduser()
        if not text or not path.is_file():
            self.say(say(self.lang, "ui.first.no-invitation", path=text), error=True)
            return
        self.say(say(self.lang, "ui.first.joining"))
        self.run_worker(lambda: self._join(path), thread=True, exit_on_error=False,
                        name="join-invitation")

    def _join(self, path: Path) -> None:
        from vledger.sync.services.homes import join

        office, reply = join(self.home, path, lang=self.lang)
        note = say(self.lang, "ui.first.joined", reply=reply)
        self.app.call_from_thread(self.app.notify, note, timeout=30)
        self.app.call_from_thread(self._ready, office)

    def _create(self, name: str) -> None:
        from vledger.sync.services.homes import init_township

        office = init_township(self.home, name, lang=self.lang)
        self.app.call_from_thread(self._ready, office)

    def _ready(self, office: Office) -> None:
        office.tidy_when_asked()  # as the app's own office: at a pause in typing
        self.app.office_ready(office)  # type: ignore[attr-defined]
