"""What the grid tells the screen it is on: small message dataclasses, posted by the Grid
(tui/grid/view.py) and known there by their usual names (`Grid.CellEdited`, ...).

Their namespace is "grid", so a screen handles them as `on_grid_cell_edited` (the name they
would have nested in Grid), and `control` is the grid, so `@on(Grid.CellEdited, "#id")`
picks one grid of several.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widget import Widget

from vledger.domain.program import CellValue
from vledger.tui.grid.undo import DataCommand


@dataclass
class GridMessage(Message, namespace="grid"):
    """What every grid message carries: the grid that posted it."""

    grid: Widget

    @property
    def control(self) -> Widget:
        return self.grid


@dataclass
class CellEdited(GridMessage, namespace="grid"):
    row_id: str
    column_id: str
    old: CellValue
    new: CellValue


@dataclass
class EditRefused(GridMessage, namespace="grid"):
    row_id: str
    column_id: str
    text: str
    reason: str  # in the grid's language


@dataclass
class RowAdded(GridMessage, namespace="grid"):
    row_id: str


@dataclass
class RowDeleted(GridMessage, namespace="grid"):
    row_id: str


@dataclass
class RowRestored(GridMessage, namespace="grid"):
    row_id: str


@dataclass
class Undone(GridMessage, namespace="grid"):
    command: DataCommand


@dataclass
class Redone(GridMessage, namespace="grid"):
    command: DataCommand


@dataclass
class CursorMoved(GridMessage, namespace="grid"):
    row_id: str | None
    column_id: str


@dataclass
class CellActivated(GridMessage, namespace="grid"):
    """Enter on a cell that cannot be edited (a sheet's computed column): drill down."""

    row_id: str
    column_id: str
