"""A screen whose body is one editable grid that is rebuilt when the clerk picks another
program, village, sheet or period (the ledger and the township sheets)."""

from __future__ import annotations

from textual.widgets import Footer, Static

from vledger.tui.grid.model import GridModel
from vledger.tui.grid.read_only import ReadOnlyGrid
from vledger.tui.grid.view import Grid
from vledger.tui.screens.base import OfficeScreen


class GridScreen(OfficeScreen):
    grid: Grid | None = None

    def active_grid(self) -> Grid | None:
        return self.grid

    def replace_grid(self, model: GridModel | None, *, empty: Static, why_empty: str = "",
                     classes: str = "", read_only: bool = False) -> None:
        """Swap the grid for one over `model`, or, with no model, say why there is none;
        `read_only`: a grid to look at (no editor, no row keys)."""
        if self.grid is not None:
            self.grid.remove()
            self.grid = None
        empty.display = model is None
        if model is None:
            empty.update(why_empty)
            return
        if read_only:
            self.grid = ReadOnlyGrid(model, lang=self.lang, enter=None)  # type: ignore[arg-type]
            self.grid.set_classes(classes)
        else:
            self.grid = Grid(model, lang=self.lang, classes=classes)
        self.mount(self.grid, before=self.query_one(Footer))
        self.grid.focus()
