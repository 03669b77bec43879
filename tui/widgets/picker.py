"""A small keyboard chooser (program, village, period, sheet): ↑↓ and Enter, Esc cancels.
Dismisses with the chosen id, or None when cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

# What the list does with each key it binds (↑↓, Home/End, PgUp/PgDn, Enter).
LIST_ACTIONS = {
    key: binding.action
    for binding in OptionList.BINDINGS if isinstance(binding, Binding)
    for key in binding.key.split(",")
}


class Picker(ModalScreen[str | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消 / cancel", id="picker-cancel"),
    ]

    def __init__(self, title: str, choices: Sequence[tuple[str, str]],
                 current: str | None = None) -> None:
        super().__init__()
        self.heading = title
        self.choices = list(choices)  # (id, label)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.heading, classes="section")
            yield OptionList(*(Option(label, id=key) for key, label in self.choices))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        ids = [key for key, _ in self.choices]
        if self.current in ids:
            options.highlighted = ids.index(self.current)
        options.focus()

    async def on_key(self, event: events.Key) -> None:
        # A fast clerk's keys (F6 End Enter in one go) can arrive after the picker is
        # shown but before its list has focus: they reach the screen itself, and would
        # be lost. The list does with them what it would have done had it had focus.
        options = self.query_one(OptionList)
        action = LIST_ACTIONS.get(event.key)
        if self.focused is options or action is None:
            return
        event.stop()
        event.prevent_default()
        options.focus()
        await options.run_action(action)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
