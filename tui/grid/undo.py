"""Undo and redo for the grid: named data commands (VisiData style), each with its inverse,
and the stack that runs them on a `GridModel`. Without Textual, so tested headless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeVar

from vledger.domain.program import CellValue
from vledger.tui.grid.model import GridModel


@dataclass(frozen=True)
class EditCell:
    name: ClassVar[str] = "edit-cell"
    row_id: str
    column_id: str
    old: CellValue
    new: CellValue

    def undo(self, model: GridModel) -> None:
        model.write(self.row_id, self.column_id, self.old)

    def redo(self, model: GridModel) -> None:
        model.write(self.row_id, self.column_id, self.new)


@dataclass(frozen=True)
class AddRow:
    # Rows are never removed (a concurrent edit to them must stay reviewable), so undoing
    # an added row deletes it and redoing restores it.
    name: ClassVar[str] = "add-row"
    row_id: str
    column_id: None = None

    def undo(self, model: GridModel) -> None:
        model.delete_row(self.row_id)

    def redo(self, model: GridModel) -> None:
        model.restore_row(self.row_id)


@dataclass(frozen=True)
class DeleteRow:
    name: ClassVar[str] = "delete-row"
    row_id: str
    column_id: None = None

    def undo(self, model: GridModel) -> None:
        model.restore_row(self.row_id)

    def redo(self, model: GridModel) -> None:
        model.delete_row(self.row_id)


@dataclass(frozen=True)
class RestoreRow:
    name: ClassVar[str] = "restore-row"
    row_id: str
    column_id: None = None

    def undo(self, model: GridModel) -> None:
        model.delete_row(self.row_id)

    def redo(self, model: GridModel) -> None:
        model.restore_row(self.row_id)


DataCommand = EditCell | AddRow | DeleteRow | RestoreRow
C = TypeVar("C", EditCell, AddRow, DeleteRow, RestoreRow)


class CommandStack:
    """Runs data commands on a model and keeps them for undo and redo."""

    def __init__(self, model: GridModel, limit: int = 1000) -> None:
        self.model = model
        self.limit = limit
        self._done: list[DataCommand] = []
        self._undone: list[DataCommand] = []

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    def edit_cell(self, row_id: str, column_id: str, text: str) -> EditCell | None:
        """Commit typed text; None when the value did not change. Raises what commit raises."""
        old = self.model.value(row_id, column_id)
        self.model.commit(row_id, column_id, text)
        new = self.model.value(row_id, column_id)
        if new == old and type(new) is type(old):
            return None
        return self._record(EditCell(row_id, column_id, old, new))

    def add_row(self) -> AddRow:
        return self._record(AddRow(self.model.add_row()))

    def added(self, row_id: str) -> AddRow:
        """Record a row the model added by itself (one the store had to name first)."""
        return self._record(AddRow(row_id))

    def delete_row(self, row_id: str) -> DeleteRow:
        self.model.delete_row(row_id)
        return self._record(DeleteRow(row_id))

    def restore_row(self, row_id: str) -> RestoreRow:
        self.model.restore_row(row_id)
        return self._record(RestoreRow(row_id))

    def undo(self) -> DataCommand | None:
        if not self._done:
            return None
        command = self._done.pop()
        command.undo(self.model)
        self._undone.append(command)
        return command

    def redo(self) -> DataCommand | None:
        if not self._undone:
            return None
        command = self._undone.pop()
        command.redo(self.model)
        self._done.append(command)
        return command

    def _record(self, command: C) -> C:
        self._done.append(command)
        del self._done[: -self.limit]
        self._undone.clear()
        return command
