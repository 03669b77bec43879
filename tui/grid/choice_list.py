"""The pick list under the cell editor of a choice column: the choices what is typed can
stand for (domain/values.py `choice_matches`: the number, a prefix, pinyin initials), then
those that hold it. ↑↓ pick one, Enter or Tab takes it. It never takes the focus: keys stay
in the editor, in the order typed."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import OptionList
from textual.widgets.option_list import Option

MAX_SHOWN = 8


class ChoiceList(OptionList, can_focus=False):
    DEFAULT_CSS = """
    ChoiceList {
        position: absolute;
        overlay: screen;
        display: none;
        width: auto;
        min-width: 16;
        height: auto;
        max-height: 8;
        border: none;
        padding: 0 1;
        background: $panel;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: list[str] = []

    def offer(self, choices: Sequence[str], found: list[str], typed: str,
              before: str) -> bool:
        """Show what `typed` can stand for (`found`, as the parser reads it), then the
        other choices that hold it, the first highlighted. Opened on the cell's value
        (`before`): every choice, that one highlighted. Empty: every choice and none
        highlighted, so Enter clears the cell. False when nothing is left to offer."""
        choices = list(choices)
        highlight: int | None = 0
        if not typed.strip():
            found, highlight = choices, None
        elif typed == before:
            found = choices
            highlight = choices.index(before) if before in choices else None
        else:
            needle = typed.strip().casefold()
            found = found + [c for c in choices if c not in found and needle in c.casefold()]
        if not found:
            return False
        self.show(choices, found, highlight)
        return True

    def show(self, choices: Sequence[str], shown: Sequence[str],
             highlight: int | None) -> None:
        """List `shown` (each with its number among `choices`), `highlight` marked."""
        self.shown = list(shown)
        self.clear_options()
        self.add_options([Option(f"{choices.index(c) + 1} {c}") for c in shown])
        self.highlighted = highlight
        self.display = bool(shown)

    def hide(self) -> None:
        self.shown = []
        self.display = False

    @property
    def picked(self) -> str | None:
        """The highlighted choice, if the list shows and one is highlighted."""
        index = self.highlighted
        if not self.display or index is None or not 0 <= index < len(self.shown):
            return None
        return self.shown[index]

    def step(self, by: int) -> None:
        if not self.shown:
            return
        index = self.highlighted
        if index is None:
            index = 0 if by > 0 else len(self.shown) - 1
        else:
            index = max(0, min(len(self.shown) - 1, index + by))
        self.highlighted = index
