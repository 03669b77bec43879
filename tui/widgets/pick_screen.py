"""A short list to choose from, in a bordered box over the screen (the ranking sheet's
program and period): Enter picks, Esc keeps what was there. Dismisses with the chosen id,
or None."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class PickScreen(ModalScreen[str | None]):
    """A short list to choose from; Enter picks, Esc keeps what was there."""

    DEFAULT_CSS = """
    PickScreen { align: center middle; }
    PickScreen > OptionList { width: 60; max-width: 100%; height: auto; max-height: 80%;
                              border: round $accent; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel", id="pick-cancel", tooltip="close"),
    ]

    def __init__(self, title: str, options: Sequence[tuple[str, str]], current: str) -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options)
        self.current = current

    def compose(self) -> ComposeResult:
        picker = OptionList(*(Option(label, id=key) for key, label in self.options))
        picker.border_title = self.title_text
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        ids = [key for key, _ in self.options]
        picker.highlighted = ids.index(self.current) if self.current in ids else 0
        picker.focus()

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
