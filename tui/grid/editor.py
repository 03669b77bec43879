"""The in-cell editor: Textual's Input (so terminal IMEs work), laid over the grid's cell.

It decides nothing: Enter, Tab, Shift+Tab and Esc become a small message that the grid acts
on, because only the grid knows the model, the cursor and the language of the refusal.

Keys reach it through the grid's `KeyOrder` (tui/grid/key_order.py), which keeps a burst of
keys in the order typed while focus moves between the grid and this editor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from textual import events
from textual.binding import BindingsMap
from textual.message import Message
from textual.widgets import Input

from vledger.tui.commands import editor_bindings
from vledger.tui.grid.key_order import EndOfTurn, KeyOrder, Typed
from vledger.tui.textual_compat import bound_to, own_bindings, set_bindings, type_printable

Move = Literal["down", "right", "left"]


class CellEditor(Input):
    DEFAULT_CSS = """
    CellEditor {
        position: absolute;
        overlay: screen;
        height: 1;
        border: none;
        padding: 0 1;
        display: none;
    }
    CellEditor.-refused { background: $error 40%; }
    """

    @dataclass
    class Done(Message):
        """The clerk pressed a commit key; `move` says where the cursor goes afterwards."""

        editor: CellEditor
        move: Move

        @property
        def control(self) -> CellEditor:
            return self.editor

    @dataclass
    class Cancelled(Message):
        editor: CellEditor

        @property
        def control(self) -> CellEditor:
            return self.editor

    def __init__(self, lang: str = "zh", *, id: str | None = None) -> None:
        super().__init__(compact=True, id=id, select_on_focus=False)
        self._input_keys = dict(own_bindings(self).key_to_bindings)  # Input's own editing keys
        self.set_lang(lang)
        # Set by the grid: keys go through its KeyOrder, and Done/Cancelled are handed over
        # at once instead of queued, so the keys typed after Enter meet the grid after it.
        self.key_order: KeyOrder | None = None
        self.deliver: Callable[[Message], None] | None = None

    def set_lang(self, lang: str) -> None:
        # Per instance, so the footer speaks the grid's language; ids keep keymaps working.
        mine = BindingsMap(editor_bindings(lang)).key_to_bindings
        set_bindings(self, BindingsMap.from_keys({**self._input_keys, **mine}))

    def open(self, text: str) -> None:
        self.remove_class("-refused")
        self.value = text
        self.cursor_position = len(text)
        self.display = True

    def close(self) -> None:
        self.display = False
        self.remove_class("-refused")

    def refuse(self) -> None:
        self.add_class("-refused")

    async def type_key(self, event: Typed) -> bool:
        """Apply one key (or paste) now: a binding runs here rather than after the key
        bubbled up to the app, so ctrl+u or Enter lands between the keys around it."""
        if isinstance(event, events.Paste):
            self._paste(event.text)
            event.stop()
            return True
        for binding in bound_to(self, event.key):
            if self.check_action(binding.action, ()) is not False:
                await self.run_action(binding.action)
                return True
        if event.is_printable and event.character:
            await type_printable(self, event)
            return True
        return False

    def _paste(self, text: str) -> None:
        """Paste as Input does: the first line, over the selection if there is one."""
        if not text:
            return
        line = text.splitlines()[0]
        if self.selection.is_empty:
            self.insert_text_at_cursor(line)
        else:
            self.replace(line, *self.selection)

    # These run before Input's own handlers of the same event (Textual calls a class's
    # handler before its base's), and prevent_default() keeps Input's from running.
    async def on_key(self, event: events.Key) -> None:
        order = self.key_order
        taken = await order.key(self, event) if order else await self.type_key(event)
        if taken:
            event.stop()
            event.prevent_default()

    async def on_paste(self, event: events.Paste) -> None:
        if self.key_order is not None and await self.key_order.key(self, event):
            event.stop()
            event.prevent_default()  # Input's own paste handler must not paste it again

    async def on_end_of_turn(self, message: EndOfTurn) -> None:
        if self.key_order is not None:
            await self.key_order.end_of_turn(self)

    def _send(self, message: Message) -> None:
        if self.deliver is not None:
            self.deliver(message)
        else:
            self.post_message(message)

    def action_commit_down(self) -> None:
        self._send(self.Done(self, "down"))

    def action_commit_right(self) -> None:
        self._send(self.Done(self, "right"))

    def action_commit_left(self) -> None:
        self._send(self.Done(self, "left"))

    def action_cancel(self) -> None:
        self._send(self.Cancelled(self))
