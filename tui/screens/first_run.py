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

from vledger.tui.commands import Command
from vledger.tui.i18n import tr
from vledger.tui.screens.base import CommandScreen

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

FIRST_RUN_COMMANDS: tuple[Command, ...] = (
    Command("start-township", "f2", "start", "建立乡镇", "start a township",
            "在本机建立乡镇办公室", "Make this home the office of a new township", show=True,
            words="建立 乡镇 start township init"),
    Command("join-invitation", "f3", "join", "加入", "join", "用邀请文件加入",
            "Join with an invitation file", show=True, words="加入 邀请 join invitation"),
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
        self.query_one("#first-title", Static).update(tr(self.lang, "欢迎使用村级台账",
                                                         "Welcome to vledger"))
        self.query_one("#first-intro", Static).update(self.tr(
            f"此文件夹还没有办公室：{self.home}", f"This folder holds no office yet: {self.home}"))
        choice = self.query_one("#first-choice", OptionList)
        choice.replace_option_prompt("start", self.tr("建立一个乡镇（本机为乡镇办公室）",
                                                      "Start a township (this is its office)"))
        choice.replace_option_prompt("join", self.tr("用邀请文件加入", "Join with an invitation "
                                                                     "file"))
        if self.mode == "start":
            self.query_one("#first-name-label", Static).update(
                self.tr("乡镇名称（回车确定）：", "Township name (Enter to create):"))
            self.query_one("#first-name", Input).placeholder = self.tr("例如 青石乡", "e.g. 青石乡")
        else:
            self.query_one("#first-name-label", Static).update(self.tr(
                "邀请文件的路径（回车加入）：", "Path of the invitation file (Enter to join):"))
            self.query_one("#first-name", Input).placeholder = self.tr(
                "例如 /media/U盘/v01.invite", "e.g. /media/usb/v01.invite")

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
            self.say(self.tr("请输入乡镇名称", "Type the township's name"), error=True)
            return
        self.say(tr(self.lang, "正在建立…", "Creating…"))
        self.run_worker(lambda: self._create(text), thread=True, exit_on_error=False,
                        name="create-township")

    def _start_join(self, text: str) -> None:
        path = Path(text).expanduser()
        if not text or not path.is_file():
            self.say(self.tr(f"找不到邀请文件：{text}", f"No invitation file at: {text}"),
                     error=True)
            return
        self.say(tr(self.lang, "正在加入…", "Joining…"))
        self.run_worker(lambda: self._join(path), thread=True, exit_on_error=False,
                        name="join-invitation")

    def _join(self, path: Path) -> None:
        from vledger.sync.services.homes import join

        office, reply = join(self.home, path, lang=self.lang)
        note = self.tr(f"已加入。请把回执文件交给乡镇：{reply}",
                       f"Joined. Hand this reply file to the township: {reply}")
        self.app.call_from_thread(self.app.notify, note, timeout=30)
        self.app.call_from_thread(self._ready, office)

    def _create(self, name: str) -> None:
        from vledger.sync.services.homes import init_township

        office = init_township(self.home, name, lang=self.lang)
        self.app.call_from_thread(self._ready, office)

    def _ready(self, office: Office) -> None:
        self.app.office_ready(office)  # type: ignore[attr-defined]
