"""A one-line Input whose keys go through the grid's KeyOrder (tui/grid/key_order.py): the
cell editor and the search box. The grid opens either and hands over focus in the middle of
a burst of keys; keys typed before the move are still queued at the grid, keys typed after
reach the input. Through the KeyOrder both are typed into it in the order they were typed.

It decides nothing: its commit and cancel keys become a small message handed straight to
the grid (`deliver`), which knows the model, the cursor and the language.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import events
from textual.binding import Binding, BindingsMap
from textual.message import Message
from textual.widgets import Input

from vledger.tui.grid.key_order import EndOfTurn, KeyOrder, QuitAsked, Typed
from vledger.tui.textual_compat import bound_to, own_bindings, set_bindings, type_printable


class OrderedInput(Input):
    def __init__(self, *, id: str | None = None, placeholder: str = "") -> None:
        super().__init__(compact=True, id=id, select_on_focus=False, placeholder=placeholder)
        self._input_keys = dict(own_bindings(self).key_to_bindings)  # Input's own editing keys
        # Set by the grid: keys go through its KeyOrder, and what the input says is handed
        # over at once instead of queued, so the keys typed after Enter meet the grid after it.
        self.key_order: KeyOrder | None = None
        self.deliver: Callable[[Message], None] | None = None

    def bind_keys(self, bindings: list[Binding]) -> None:
        """Input's editing keys, and `bindings` over them (Enter, Esc, ...)."""
        mine = BindingsMap(bindings).key_to_bindings
        set_bindings(self, BindingsMap.from_keys({**self._input_keys, **mine}))

    async def type_key(self, event: Typed) -> bool:
        """Apply one key (or paste) now: a binding runs here rather than after the key
        bubbled up to the app, so ctrl+u or Enter lands between the keys around it."""
        if isinstance(event, QuitAsked):
            return False
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

    def quit_asked(self) -> None:
        """Ctrl+Q while this input has focus: taken in typing order, after the keys typed
        before it (the grid decides what happens to the text)."""
        self.post_message(QuitAsked())

    async def on_quit_asked(self, message: QuitAsked) -> None:
        message.stop()
        if self.key_order is not None:
            await self.key_order.key(self, message)

    def _send(self, message: Message) -> None:
        if self.deliver is not None:
            self.deliver(message)
        else:
            self.post_message(message)
