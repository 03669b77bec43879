"""F1: every key of the screen underneath, of its grid (and the grid's editor) and of the
app, listed from the same command tables that build the bindings, in the current language."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from vledger.messages import say
from vledger.tui.commands import APP_COMMANDS, EDITOR_COMMANDS, Command, key_label
from vledger.tui.textual_compat import own_bindings


def help_sections(screen: Any, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """(section title, [(keys, help line)]) for `screen`, its grid and the app."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    own: list[Command] = list(getattr(screen, "all_commands", lambda: ())())
    if own:
        sections.append((say(lang, "ui.help.this-screen"), _rows(own, lang)))
    else:  # a screen without a command table: its bindings
        rows = [(key, b.tooltip or b.description) for key, b in own_bindings(screen)
                if b.description]
        if rows:
            sections.append((say(lang, "ui.help.this-screen"), rows))
    grid = getattr(screen, "active_grid", lambda: None)()
    if grid is not None:
        sections.append((say(lang, "ui.help.grid"), _rows(grid.commands(), lang)))
        sections.append((say(lang, "ui.help.editing"), _rows(EDITOR_COMMANDS, lang)))
    sections.append((say(lang, "ui.help.anywhere"), _rows(APP_COMMANDS, lang)))
    return sections


def _rows(commands: Any, lang: str) -> list[tuple[str, str]]:
    return [(key_label(c), c.help(lang)) for c in commands if c.keys]


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "关闭 / close", id="help-close"),
    ]
    def __init__(self, under: Any, lang: str) -> None:
        super().__init__()
        self.under = under
        self.lang = lang

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(id="help-text")

    def on_mount(self) -> None:
        self.label()
        self.query_one("#help").focus()

    def relabel(self, lang: str) -> None:
        self.lang = lang
        self.label()

    def text(self) -> str:
        lines = [say(self.lang, "ui.help.title"), ""]
        for title, rows in help_sections(self.under, self.lang):
            lines.append(f"[b]{escape(title)}[/b]")
            lines += [escape(f"  {keys:<16} {line}") for keys, line in rows]
            lines.append("")
        return "\n".join(lines)

    def label(self) -> None:
        self.query_one("#help-text", Static).update(self.text())

    def action_close(self) -> None:
        self.dismiss(None)
