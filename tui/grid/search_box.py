"""The grid's search box: one line under the grid, typed into in the order keys came
(tui/grid/ordered_input.py), so `/` and a word sent in one burst search for the word."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from vledger.tui.commands import SEARCH_BOX_COMMANDS
from vledger.tui.grid.ordered_input import OrderedInput


class SearchBox(OrderedInput):
    @dataclass
    class Done(Message):
        """Enter: search for `text` (empty: stop searching)."""

        text: str

    class Cancelled(Message):
        """Esc: close the box; the last search stays."""

    def __init__(self, lang: str = "zh", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_lang(lang)

    def set_lang(self, lang: str) -> None:
        self.bind_keys([c.binding(lang) for c in SEARCH_BOX_COMMANDS])

    def action_search_done(self) -> None:
        self._send(self.Done(self.value))

    def action_search_cancel(self) -> None:
        self._send(self.Cancelled())
