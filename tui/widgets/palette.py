"""The command palette's one provider: what the screen on top offers, then the app's commands.

A command is found by its Chinese or English title, its help line, its name or its extra
words, whatever the interface language: a clerk typing 排名 or "ranking" finds the ranking
sheet. It is shown in the current language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from vledger.tui.commands import Command, key_label
from vledger.tui.textual_compat import own_bindings

Entry = tuple[Command, Callable[[], Any]]


@dataclass(frozen=True)
class BoundCommand(Command):
    """A screen's binding offered as a command: its words are the binding's own, already in
    the language the screen labelled it in, not the catalogue's."""

    text: str = ""
    tooltip: str = ""

    def title(self, lang: str) -> str:
        return self.text

    def help(self, lang: str) -> str:
        return self.tooltip or self.text


def _from_bindings(screen: Any) -> list[Entry]:
    """For a screen without `palette_commands()`: its bindings that have a description."""
    entries: list[Entry] = []
    for key, binding in own_bindings(screen):  # the screen's own, as its footer shows them
        if not binding.description:
            continue

        async def run(action: str = binding.action) -> None:
            await screen.run_action(action)

        command = BoundCommand(binding.id or binding.action, key, binding.action, said="",
                               text=binding.description, tooltip=binding.tooltip)
        entries.append((command, run))
    return entries


class CommandsProvider(Provider):
    def entries(self) -> list[Entry]:
        screen, app = self.screen, self.app
        found = screen.palette_commands() if hasattr(screen, "palette_commands") \
            else _from_bindings(screen)
        found += app.palette_commands() if hasattr(app, "palette_commands") else []
        seen: set[str] = set()
        unique = []
        for command, run in found:
            if command.name not in seen:
                seen.add(command.name)
                unique.append((command, run))
        return unique

    @property
    def lang(self) -> str:
        return str(getattr(self.app, "lang", "en"))

    def _shown(self, command: Command) -> tuple[str, str]:
        keys = key_label(command)
        title = command.title(self.lang)
        return (f"{title}  ({keys})" if keys else title), command.help(self.lang)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command, run in self.entries():
            texts = (command.title("zh"), command.title("en"), command.help("zh"),
                     command.help("en"), command.name, command.words)
            score = max(matcher.match(text) for text in texts if text)
            if score > 0:
                shown, help_text = self._shown(command)
                yield Hit(score, matcher.highlight(shown), run, text=shown, help=help_text)

    async def discover(self) -> Hits:
        for command, run in self.entries():
            shown, help_text = self._shown(command)
            yield DiscoveryHit(shown, run, text=shown, help=help_text)
