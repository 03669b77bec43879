"""One line to type, in a bordered box over the ranking sheet: the note a publication is
announced with, or the file an export is written to. Enter gives the text, Esc gives None
(nothing is done)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from vledger.tui.commands import Command, bindings
from vledger.tui.textual_compat import set_bindings

PROMPT_COMMANDS: tuple[Command, ...] = (
    Command("cancel-prompt", "escape", "cancel", "cmd.ranking.cancel-prompt", show=True,
            key_display="Esc"),
)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text; dismissed with it (Enter) or None (Esc)."""

    DEFAULT_CSS = """
    TextPrompt { align: center middle; }
    TextPrompt > #prompt-box { width: 72; max-width: 100%; height: auto;
                               border: round $accent; background: $surface; padding: 0 1; }
    TextPrompt #prompt-title { text-style: bold; }
    TextPrompt #prompt-hint { color: $text-muted; }
    """

    def __init__(self, title: str, hint: str, value: str = "", lang: str = "zh") -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.value = value
        set_bindings(self, bindings(PROMPT_COMMANDS, lang))

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(self.title_text, id="prompt-title", markup=False)
            yield Input(self.value, id="prompt-input")
            yield Static(self.hint, id="prompt-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#prompt-input", Input).focus()

    @on(Input.Submitted, "#prompt-input")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
