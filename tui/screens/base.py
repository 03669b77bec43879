"""What every vledger screen shares: the language and a table of named commands that become
the screen's bindings (with ids), its footer, its F1 help and its palette entries; and for
screens over an open office (all but first run and progress), the `Office`.

The contract the app relies on, for any screen it opens by name (subclass of OfficeScreen
or not):

- constructed as `Cls(office, lang=..., **params)`;
- `relabel(lang)` re-labels everything visible in the new language (the app calls it on
  every screen of the stack when the language switches);
- `palette_commands()` returns `(Command, callback)` pairs: what the palette offers while the
  screen is on top. Without it the palette falls back to the screen's bindings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.binding import Binding
from textual.screen import Screen

from vledger.tui.commands import Command, bindings
from vledger.tui.textual_compat import set_bindings

if TYPE_CHECKING:
    from vledger.sync.services.office import Office
    from vledger.tui.grid.view import Grid

PaletteEntry = tuple[Command, Callable[[], Any]]

# Screen's own Tab bindings have no id; these replace them so every binding can be rebound.
FOCUS_COMMANDS: tuple[Command, ...] = (
    Command("focus-next", "tab", "app.focus_next", "cmd.focus-next"),
    Command("focus-previous", "shift+tab", "app.focus_previous", "cmd.focus-previous"),
)


class CommandScreen(Screen[None]):
    """A screen of named commands in the clerk's language; subclasses fill SCREEN_COMMANDS
    and `label()`."""

    SCREEN_COMMANDS: ClassVar[tuple[Command, ...]] = ()

    def __init__(self, lang: str = "zh", **params: Any) -> None:
        super().__init__()
        self.lang = "zh" if lang == "zh" else "en"
        self.params = params
        # Screen's defaults carry no ids: these replace them (FOCUS_COMMANDS for Tab).
        set_bindings(self, self.screen_bindings())

    # ---- commands ------------------------------------------------------------------------

    def all_commands(self) -> tuple[Command, ...]:
        return (*self.SCREEN_COMMANDS, *FOCUS_COMMANDS)

    def screen_bindings(self) -> list[Binding]:
        return bindings(self.all_commands(), self.lang)

    def palette_commands(self) -> list[PaletteEntry]:
        """This screen's commands, then those of the grid on it (if any)."""
        entries: list[PaletteEntry] = [
            (c, self._runner(c.action)) for c in self.SCREEN_COMMANDS
        ]
        grid = self.active_grid()
        if grid is not None:
            entries += [(c, self._grid_runner(grid, c.name)) for c in grid.commands()]
        return entries

    def active_grid(self) -> Grid | None:
        """The grid the clerk works in on this screen, if the screen has one."""
        return None

    def _runner(self, action: str) -> Callable[[], Any]:
        async def run() -> None:
            await self.run_action(action)

        return run

    @staticmethod
    def _grid_runner(grid: Grid, name: str) -> Callable[[], Any]:
        async def run() -> None:
            grid.focus()
            await grid.run_command(name)

        return run

    # ---- language ------------------------------------------------------------------------

    def relabel(self, lang: str) -> None:
        self.lang = "zh" if lang == "zh" else "en"
        set_bindings(self, self.screen_bindings())
        self.label()
        self.refresh_bindings()

    def label(self) -> None:
        """Set every visible text in `self.lang`; called on mount and on a language switch."""

    def on_mount(self) -> None:
        self.label()


class OfficeScreen(CommandScreen):
    """A screen over the open office's services."""

    def __init__(self, office: Office, lang: str = "zh", **params: Any) -> None:
        super().__init__(lang, **params)
        self.office = office
