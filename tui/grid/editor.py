"""The in-cell editor: Textual's Input (so terminal IMEs work), laid over the grid's cell.

Enter, Tab, Shift+Tab and Esc become a small message that the grid acts on, because only
the grid knows the model, the cursor and the language of the refusal. Keys reach it through
the grid's KeyOrder (tui/grid/ordered_input.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.message import Message

from vledger.tui.commands import editor_bindings
from vledger.tui.grid.ordered_input import OrderedInput

Move = Literal["down", "right", "left"]


class CellEditor(OrderedInput):
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
    class Step(Message):
        """↑ or ↓ in the pick list of a choice column."""

        editor: CellEditor
        by: int

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
        super().__init__(id=id)
        self.set_lang(lang)
        self.picking = False  # a pick list shows under the editor (the grid says)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("choice_next", "choice_prev"):
            return self.picking
        return super().check_action(action, parameters)

    def set_lang(self, lang: str) -> None:
        # Per instance, so the footer speaks the grid's language; ids keep keymaps working.
        self.bind_keys(editor_bindings(lang))

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

    def action_commit_down(self) -> None:
        self._send(self.Done(self, "down"))

    def action_commit_right(self) -> None:
        self._send(self.Done(self, "right"))

    def action_commit_left(self) -> None:
        self._send(self.Done(self, "left"))

    def action_choice_next(self) -> None:
        self._send(self.Step(self, 1))

    def action_choice_prev(self) -> None:
        self._send(self.Step(self, -1))

    def action_cancel(self) -> None:
        self._send(self.Cancelled(self))
