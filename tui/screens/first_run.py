"""First run: a home with no office. Start a township (its name, then the office is made)
or join with the invitation file the township handed over (its path, then the home
becomes that village's office and the reply for the township is written beside it).
Also the progress screen shown while long work (building the demo township) runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from vledger.messages import say
from vledger.tui.commands import Command
from vledger.tui.screens.base import OfficeScreen

FIRST_RUN_COMMANDS: tuple[Command, ...] = (
    Command("start-township", "f2", "start", "建立乡镇", "start a township",
            "在本机建立乡镇办公室", "Make this home the office of a new township", show=True,
            words="建立 乡镇 start township init"),
    Command("join-invitation", "f3", "join", "加入", "join", "用邀请文件加入",
            "Join with an invitation file", show=True, words="加入 邀请 join invitation"),
)


class FirstRunScreen(OfficeScreen):
    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = FIRST_RUN_COMMANDS

    def __init__(self, office: Any = None, lang: str = "zh", home: Path | None = None,
                 **params: Any) -> None:
        super().__init__(office, lang, **params)
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
        from vledger.sync.services.identity import join

        office, reply = join(self.home, path, lang=self.lang)  # type: ignore[arg-type]
        note = say(self.lang, "ui.first.joined", reply=reply)
        self.app.call_from_thread(self.app.notify, note, timeout=30)
        self.app.call_from_thread(self.app.office_ready, office)  # type: ignore[attr-defined]

    def _create(self, name: str) -> None:
        from vledger.sync.services.identity import init_township

        office = init_township(self.home, name, lang=self.lang)  # type: ignore[arg-type]
        self.app.call_from_thread(self.app.office_ready, office)  # type: ignore[attr-defined]


class ProgressScreen(OfficeScreen):
    """Shown while long work runs in a worker: a bar and what is being done."""

    def __init__(self, lang: str = "zh") -> None:
        super().__init__(None, lang)

    def compose(self) -> ComposeResult:
        with Vertical(id="progress"):
            yield Static(id="progress-title", classes="title")
            yield ProgressBar(total=1.0, show_eta=False, id="progress-bar")
            yield Static(id="progress-what")
        yield Footer()

    def label(self) -> None:
        self.query_one("#progress-title", Static).update(say(self.lang, "ui.progress.wait"))

    def progress(self, done: float, what: str) -> None:
        self.query_one("#progress-bar", ProgressBar).update(progress=max(0.0, min(1.0, done)))
        self.query_one("#progress-what", Static).update(what)

    def failed(self, error: BaseException) -> None:
        problems = getattr(error, "problems", None) or [str(error)]
        self.query_one("#progress-what", Static).update(
            "\n".join(problems) + "\n" + say(self.lang, "ui.progress.quit"))
