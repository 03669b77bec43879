"""The app hands the clerk's keys on one at a time: a key goes where the keys before it
left the focus and the screen, however fast they came (a fast clerk on a slow laptop,
tmux send-keys, a terminal delivering a burst in one read).

Textual sends each key to whichever widget has focus when the app reads it, and runs
the screen's and app's key bindings only once the key has bubbled back up to the app.
So after F7 (which opens the village picker) keys read before F7's binding ran still go
to the grid under it, while keys read a moment later go to the picker: `F7 Home Enter`
could pick the village that was already shown, with Home lost on the grid.

`KeyTurns` holds a key the app reads while the one before it is still on its way, and
sends it once that one is settled: it bubbled back to the app (its bindings ran), or a
widget on the way took it. A `KeySettled` note posted behind each key to the same widget
bubbles up the same path and reaches the app after the key was handled everywhere it
went, so a taken key settles without looking into Textual's internals. A key whose
widget went away (its screen closed) would leave no note: after `GIVE_UP_SECONDS` the
held keys go on anyway.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.message import Message
from textual.message_pump import MessagePump
from textual.timer import Timer

GIVE_UP_SECONDS = 0.3

Send = Callable[[events.Key], Awaitable[MessagePump | None]]
StartTimer = Callable[[float, Callable[[], Awaitable[None]]], Timer]


class KeySettled(Message):
    """Follows a key up the widgets it went through; at the app, that key is settled."""

    def __init__(self, key: events.Key) -> None:
        super().__init__()
        self.key = key


class KeyTurns:
    """One key on its way at a time; the keys read meanwhile wait in typing order."""

    def __init__(self, send: Send, timer: StartTimer) -> None:
        self._send = send  # hands a key to the app's usual routing; the widget it went to
        self._timer_for = timer  # (seconds, callback) -> a started timer
        self._on_its_way: events.Key | None = None
        self._waiting: deque[events.Key] = deque()
        self._timer: Timer | None = None
        self._watched: events.Key | None = None  # on its way when the timer started

    async def read(self, key: events.Key) -> None:
        """A key the app read from the terminal: sent now, or after the keys before it."""
        if self._on_its_way is not None or self._waiting:
            self._waiting.append(key)
            self._watch()
            return
        await self._go(key)

    async def reached_app(self, key: events.Key) -> None:
        """`key` bubbled back to the app and its bindings ran, or its note arrived."""
        if key is self._on_its_way:
            await self._next()

    async def _go(self, key: events.Key) -> None:
        self._on_its_way = key
        widget = await self._send(key)
        if widget is None:  # taken at once (a priority binding): nothing on its way
            self._on_its_way = None
            return
        widget.post_message(KeySettled(key))

    async def _next(self) -> None:
        self._on_its_way = None
        while self._on_its_way is None and self._waiting:
            await self._go(self._waiting.popleft())

    def _watch(self) -> None:
        if self._timer is None:
            self._watched = self._on_its_way
            self._timer = self._timer_for(GIVE_UP_SECONDS, self._look_again)

    async def _look_again(self) -> None:
        self._timer = None
        if self._on_its_way is not None and self._on_its_way is self._watched:
            await self._next()  # its widget went away: the keys after it go on
        if self._waiting:
            self._watch()
