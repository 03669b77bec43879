"""Keys handed to the grid and its cell editor one at a time, in the order they were typed,
however focus moves between them (a fast clerk, a paste, tmux send-keys); see `KeyOrder`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.message import Message
from textual.message_pump import MessagePump


class QuitAsked(Message):
    """Ctrl+Q reached the grid or its editor: handled in typing order, after the keys typed
    before it (the app's quit key runs before those keys otherwise, and would drop them)."""


Typed = events.Key | events.Paste | QuitAsked
KeyHandler = Callable[[Typed], Awaitable[bool]]
PassUp = Callable[[Typed], Awaitable[None]]


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

    def __init__(self, handle: KeyHandler, pass_up: PassUp) -> None:
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


async def retype(app: App[object], event: Typed, wait: float = 2.0) -> None:
    """Hand `event` to `app` again, as if typed now, once the screen on top took the focus
    (a screen pushed a moment ago is still mounting): a key queued at a grid whose screen
    a key before it covered (a picker, help, home) was typed for that screen."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while app.screen.focused is None and loop.time() < deadline:
        await asyncio.sleep(0.01)
    if isinstance(event, events.Key):
        app.post_message(events.Key(event.key, event.character))
    elif isinstance(event, events.Paste):
        app.post_message(events.Paste(event.text))
