"""The screen shown while long work runs in a worker before the office opens (building the
demo township): a bar, what is being done, and what went wrong if it failed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, ProgressBar, Static

from vledger.errors import VledgerError
from vledger.messages import localize, say
from vledger.tui.screens.base import CommandScreen


class ProgressScreen(CommandScreen):
    """Shown while long work runs in a worker: a bar and what is being done."""

    def __init__(self, lang: str = "zh") -> None:
        super().__init__(lang)

    def compose(self) -> ComposeResult:
        with Vertical(id="progress"):
            yield Static(id="progress-title", classes="title")
            yield ProgressBar(total=1.0, show_eta=False, id="progress-bar")
            yield Static(id="progress-what")
        yield Footer()

    def label(self) -> None:
        self.query_one("#progress-title", Static).update(say(self.lang, "ui.progress.wait"))

    def progress(self, done: float, what: str) -> None:
        self.query_one("#progress-bar", ProgressBar).update(progress=max(0.0, min(1.0, done)))
        self.query_one("#progress-what", Static).update(what)

    def failed(self, error: VledgerError) -> None:
        problems = "\n".join(localize(p, self.lang) for p in error.problems)
        self.query_one("#progress-what", Static).update(
            problems + "\n" + say(self.lang, "ui.progress.quit"))
