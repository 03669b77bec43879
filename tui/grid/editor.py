"""The in-cell editor: Textual's Input (so terminal IMEs work), laid over the grid's cell.

It decides nothing: Enter, Tab, Shift+Tab and Esc become a small message that the grid acts
on, because only the grid knows the model, the cursor and the language of the refusal.

`KeyOrder` keeps a burst of keys (a fast clerk, a paste, tmux send-keys) in the order typed
while focus moves between the grid and this editor; see its docstring.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from textual import events
from textual.binding import BindingsMap
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Input

from vledger.tui.commands import editor_bindings
from vledger.tui.textual_compat import bound_to, own_bindings, set_bindings, type_printable

Move = Literal["down", "right", "left"]
Typed = events.Key | events.Paste
KeyHandler = Callable[[Typed], Awaitable[bool]]


class EndOfTurn(Message, bubble=False):
    """Posted to a widget as focus leaves it: every key queued before this was typed earlier
    than any key the newly focused widget gets."""


class KeyOrder:
    """Hands keys to one handler in the order they were typed, across focus moves.

    Textual queues a key at whichever widget had focus when the app read it, and runs a
    widget's key bindings only once the key has bubbled back up to the app. So when the grid
    opens its editor (or the editor commits), keys typed just before the move still wait in
    the old widget's queue while later keys already reach the new one: `F2 ctrl+u 9 9 Enter`
    sent at once stored an empty cell. Here every stretch of keys between two focus moves is
    a turn, owned by the widget that had focus; a key of a later turn waits until every
    earlier turn has ended (its `EndOfTurn` reached its widget) and its keys were handled.
    The handler runs one key at a time, bindings included, so nothing overtakes.
    """

    def __init__(self, handle: KeyHandler, pass_up: KeyHandler) -> None:
        self._handle = handle  # True: the key was used; False: nobody here wanted it
        self._pass_up = pass_up  # for a held key nobody here wanted: the screen's bindings
        self._turns: dict[MessagePump, deque[int]] = {}
        self._current = 0
        self._newest = 0
        self._ended: set[int] = set()
        self._held: defaultdict[int, list[Typed]] = defaultdict(list)
        self._busy = False
        self._passed: deque[Typed] = deque(maxlen=32)  # let through: seen again bubbling up

    def begin(self, owner: MessagePump) -> None:
        """`owner` has focus now and gets the current turn's keys."""
        self._turns.setdefault(owner, deque()).append(self._current)

    def moved(self, old: MessagePump | None, new: MessagePump) -> None:
        """Call right after focus moved from `old` to `new` (synchronously, with no await
        between, so no key is read in between)."""
        self._newest += 1
        self._turns.setdefault(new, deque()).append(self._newest)
        if old is not None and self._turns.get(old):
            old.post_message(EndOfTurn())
        else:  # focus came from a widget that queues nothing for us
            self._ended.add(self._newest - 1)

    async def key(self, widget: MessagePump, event: Typed) -> bool:
        """A key (or paste) `widget` got from its queue. True when taken (the caller stops
        it); False when nobody here wanted it, so it bubbles on to the screen's bindings."""
        if any(event is passed for passed in self._passed):
            return False  # the editor let it through and it bubbled up to the grid
        turns = self._turns.get(widget)
        turn = turns[0] if turns else self._current  # focused by someone else: no backlog
        if turn == self._current and not self._busy and not self._held.get(turn):
            self._busy = True
            try:
                taken = await self._handle(event)
            finally:
                self._busy = False
            if not taken:
                self._passed.append(event)
            await self._drain()
            return taken
        self._held[turn].append(event)
        await self._drain()
        return True

    async def end_of_turn(self, widget: MessagePump) -> None:
        turns = self._turns.get(widget)
        if turns:
            self._ended.add(turns.popleft())
        await self._drain()

    async def _drain(self) -> None:
        if self._busy:
            return  # the running handler drains when it is done
        self._busy = True
        try:
            while True:
                held = self._held.get(self._current)
                if held:
                    event = held.pop(0)
                    if not await self._handle(event):
                        await self._pass_up(event)
                elif self._current in self._ended and self._current < self._newest:
                    self._ended.discard(self._current)
                    self._held.pop(self._current, None)
                    self._current += 1
                else:
                    return
        finally:
            self._busy = False


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
