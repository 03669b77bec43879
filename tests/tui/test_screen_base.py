"""What every screen inherits: labelled once when it mounts, whether or not its own
on_mount calls the base's (Textual calls the base's handler too)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from vledger.tui.screens.base import CommandScreen


class Counted(CommandScreen):
    def __init__(self, calls_super: bool) -> None:
        super().__init__("en")
        self.calls_super = calls_super
        self.labels = 0

    def compose(self) -> ComposeResult:
        yield Static("", id="title")

    def label(self) -> None:
        self.labels += 1
        self.query_one("#title", Static).update("title")

    def on_mount(self) -> None:
        if self.calls_super:
            super().on_mount()
        self.query_one("#title", Static).update("working")  # set after labelling


class Host(App[None]):
    def __init__(self, screen: Counted) -> None:
        super().__init__()
        self.counted = screen

    def on_mount(self) -> None:
        self.push_screen(self.counted)


async def test_a_screen_is_labelled_once_on_mount_and_keeps_what_it_set_after() -> None:
    for calls_super in (True, False):
        screen = Counted(calls_super)
        app = Host(screen)
        async with app.run_test() as pilot:
            await pilot.pause()
            assert screen.labels == 1, calls_super
            title: Any = screen.query_one("#title", Static).render()
            if calls_super:
                assert str(title) == "working"
            screen.relabel("zh")  # a language switch labels again
            assert screen.labels == 2
