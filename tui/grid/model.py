"""What the grid shows and edits, without Textual: the model protocol, an in-memory ledger,
the undo/redo stack of named data commands, and the view (sort, filter, search).

The grid never touches the store: a screen hands it a `GridModel`. The real ledger model
(over a ledger session of the office) and the township sheets implement the same
protocol, so everything here is tested without a terminal.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import ClassVar, Literal, Protocol, TypeVar

from vledger.domain.program import CellValue, Column, Program
from vledger.domain.values import format_cell, parse_cell

Mark = Literal["unsynced", "conflict"]
NO_MARKS: frozenset[str] = frozenset()
WIDTH_BY_TYPE = {"int": 8, "decimal": 10, "date": 10, "bool": 4, "choice": 8, "text": 24}


class CellRefused(ValueError):
    """A commit the model will not take (read-only cell, deleted row); same shape as
    domain.values.ValueProblem so the grid shows either the same way."""

    def __init__(self, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh


@dataclass(frozen=True)
class GridColumn:
    id: str
    title: str
    type: str  # a domain ColumnType, or "text" for computed sheet columns
    width: int  # hint in terminal cells, before the title is considered
    editable: bool = True
    choices: tuple[str, ...] = ()

    @classmethod
    def from_program(cls, column: Column) -> GridColumn:
        width = WIDTH_BY_TYPE[column.type]
        if column.type == "choice" and column.choices:
            from unicodedata import east_asian_width

            def cells(s: str) -> int:  # rich is not allowed to leak into headless code
                return sum(2 if east_asian_width(ch) in "WF" else 1 for ch in s)

            width = max(cells(c) for c in column.choices)
        if column.type == "text":
            width = min(column.max_length, WIDTH_BY_TYPE["text"])
        return cls(column.id, column.title, column.type, width, True, column.choices)


class GridModel(Protocol):
    """Rows and cells as the grid sees them. Deleted rows stay in `row_ids()`."""

    @property
    def columns(self) -> Sequence[GridColumn]: ...

    @property
    def version(self) -> int:
        """Grows on every change, local or merged in; the grid drops cached lines on change."""
        ...

    def row_count(self) -> int: ...

    def row_ids(self) -> Sequence[str]:
        """Every row id, deleted included, in display order (date, then creation)."""
        ...

    def display(self, row_id: str, column_id: str) -> str: ...

    def value(self, row_id: str, column_id: str) -> CellValue: ...

    def is_deleted(self, row_id: str) -> bool: ...

    def marks(self, row_id: str, column_id: str) -> frozenset[str]: ...

    def commit(self, row_id: str, column_id: str, text: str) -> None:
        """Parse `text` by the column's type and write it; raise ValueError (ValueProblem,
        CellRefused) with `.message` / `.message_zh` and change nothing when it is bad."""
        ...

    def write(self, row_id: str, column_id: str, value: CellValue) -> None:
        """Write an already parsed value (undo and redo put back what was there)."""
        ...

    def add_row(self) -> str: ...

    def delete_row(self, row_id: str) -> None: ...

    def restore_row(self, row_id: str) -> None: ...


def new_row_id() -> str:
    return secrets.token_hex(4)


class MemoryLedgerModel:
    """A village ledger held in memory: the grid's test double, and the base of the model
    over a ledger session of the office (tui/grid/office_model.py), which overrides only
    the `_persist_*` hooks and `add_row` so every edit is stored before the model shows it."""

    def __init__(
        self,
        program: Program,
        rows: Iterable[Mapping[str, CellValue]] = (),
        *,
        lang: str = "zh",
        parse: Callable[[Column, str], CellValue] | None = None,
        make_id: Callable[[], str] = new_row_id,
    ) -> None:
        self.program = program
        self._columns = tuple(GridColumn.from_program(c) for c in program.columns)
        self._by_id = {c.id: c for c in program.columns}
        self.lang = lang
        self._parse = parse or parse_cell
        self._make_id = make_id
        self._cells: dict[str, dict[str, CellValue]] = {}
        # Creation order as a sort key: a counter here, the store's (created, n, order).
        self._created: dict[str, tuple[int, ...]] = {}
        self._deleted: set[str] = set()
        self._conflicts: set[tuple[str, str]] = set()
        self._unsynced: set[tuple[str, str]] = set()
        self._mark_unsynced = True
        self._order: list[str] | None = None
        self._version = 0
        for row in rows:
            self._insert({c.id: row.get(c.id) for c in self._columns})

    @classmethod
    def from_texts(
        cls, program: Program, rows: Iterable[Mapping[str, str]], **kwargs: object
    ) -> MemoryLedgerModel:
        """Rows as typed (a CSV): every cell goes through the column's parser."""
        model = cls(program, (), **kwargs)  # type: ignore[arg-type]
        for texts in rows:
            values = {c.id: model._parse(c, texts.get(c.id, "")) for c in program.columns}
            model._insert(values)
        model._version = 0
        return model

    @property
    def columns(self) -> Sequence[GridColumn]:
        return self._columns

    @property
    def version(self) -> int:
        return self._version

    def row_count(self) -> int:
        return len(self._cells)

    def row_ids(self) -> Sequence[str]:
        if self._order is None:
            # Rows display in date order, then creation order; undated rows go last.
            date_id = self.program.date_column

            def key(row_id: str) -> tuple[bool, str, tuple[int, ...]]:
                day = self._cells[row_id].get(date_id)
                return (day is None, str(day or ""), self._created[row_id])

            self._order = sorted(self._cells, key=key)
        return self._order

    def display(self, row_id: str, column_id: str) -> str:
        return format_cell(self._by_id[column_id], self._cells[row_id].get(column_id),
                           self.lang)

    def value(self, row_id: str, column_id: str) -> CellValue:
        return self._cells[row_id].get(column_id)

    def is_deleted(self, row_id: str) -> bool:
        return row_id in self._deleted

    def marks(self, row_id: str, column_id: str) -> frozenset[str]:
        cell = (row_id, column_id)
        found = {name for name, cells in (("conflict", self._conflicts),
                                          ("unsynced", self._unsynced)) if cell in cells}
        return frozenset(found) if found else NO_MARKS

    def commit(self, row_id: str, column_id: str, text: str) -> None:
        self._check_writable(row_id)
        value = self._parse(self._by_id[column_id], text)  # ValueProblem: editor stays open
        self.write(row_id, column_id, value)

    def write(self, row_id: str, column_id: str, value: CellValue) -> None:
        if column_id not in self._by_id:
            raise KeyError(column_id)
        self._persist_cells(row_id, {column_id: value})
        self._cells[row_id][column_id] = value
        if self._mark_unsynced:
            self._unsynced.add((row_id, column_id))
        if column_id == self.program.date_column:
            self._order = None
        self._version += 1

    def add_row(self) -> str:
        return self._insert({c.id: None for c in self._columns})

    def delete_row(self, row_id: str) -> None:
        self._set_deleted(row_id, True)

    def restore_row(self, row_id: str) -> None:
        self._set_deleted(row_id, False)

    # What sync drives; the facade model fills these from the office instead.
    def mark_synced(self) -> None:
        self._unsynced.clear()
        self._version += 1

    def set_conflict(self, row_id: str, column_id: str, in_conflict: bool = True) -> None:
        cell = (row_id, column_id)
        (self._conflicts.add if in_conflict else self._conflicts.discard)(cell)
        self._version += 1

    # ---- where edits are kept: nowhere else here; the facade model stores them -------

    def _persist_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        pass

    def _persist_deleted(self, row_id: str, deleted: bool) -> None:
        pass

    def _set_deleted(self, row_id: str, deleted: bool) -> None:
        self._require(row_id)
        self._persist_deleted(row_id, deleted)
        (self._deleted.add if deleted else self._deleted.discard)(row_id)
        self._version += 1

    def _insert(self, values: dict[str, CellValue]) -> str:
        row_id = self._make_id()
        while row_id in self._cells:
            row_id = self._make_id()
        self._remember_new_row(row_id, values)
        return row_id

    def _remember_new_row(self, row_id: str, values: dict[str, CellValue]) -> None:
        newest = max(self._created.values(), default=(0,))
        self._cells[row_id] = values
        self._created[row_id] = (newest[0] + 1, *newest[1:])
        self._order = None
        self._version += 1

    def _require(self, row_id: str) -> None:
        if row_id not in self._cells:
            raise KeyError(row_id)

    def _check_writable(self, row_id: str) -> None:
        if row_id in self._deleted:
            raise CellRefused("this row is deleted: restore it first", "该行已删除，请先恢复")


# ---- named data commands, each with its inverse -------------------------------------------


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


# ---- the view: which rows, in which order --------------------------------------------------


def sort_key(column: GridColumn, value: CellValue) -> tuple[int, object]:
    """Typed order: numbers as numbers, choices in the program's order, empties last."""
    if value is None or value == "":
        return (2, 0)
    if column.type == "decimal":
        try:
            return (0, Decimal(str(value)))
        except InvalidOperation:
            return (1, str(value))
    if column.type == "choice" and value in column.choices:
        return (0, column.choices.index(str(value)))
    if isinstance(value, bool | int):
        return (0, int(value))
    return (0, str(value))


class RowView:
    """Sorting, filtering and the deleted toggle are view state: they never touch the model
    and are not undone; the rows shown are recomputed only when the model or state changes."""

    def __init__(self, model: GridModel, *, show_deleted: bool = False) -> None:
        self.model = model
        self.show_deleted = show_deleted
        self.sort_column: str | None = None
        self.sort_descending = False
        self.filter_column: str | None = None
        self.filter_text = ""
        self._key: tuple[object, ...] | None = None
        self._rows: list[str] = []
        self._index: dict[str, int] = {}

    def column(self, column_id: str) -> GridColumn:
        return next(c for c in self.model.columns if c.id == column_id)

    def sort(self, column_id: str | None, descending: bool = False) -> None:
        self.sort_column, self.sort_descending = column_id, descending

    def filter(self, column_id: str | None, text: str = "") -> None:
        self.filter_column, self.filter_text = column_id, text

    def rows(self) -> Sequence[str]:
        key = (
            self.model.version, self.show_deleted, self.sort_column, self.sort_descending,
            self.filter_column, self.filter_text,
        )
        if key != self._key:
            self._rows = self._compute()
            self._index = {row_id: i for i, row_id in enumerate(self._rows)}
            self._key = key
        return self._rows

    def index_of(self, row_id: str | None) -> int | None:
        self.rows()
        return None if row_id is None else self._index.get(row_id)

    def _compute(self) -> list[str]:
        model = self.model
        rows = [r for r in model.row_ids() if self.show_deleted or not model.is_deleted(r)]
        if self.filter_column is not None:
            col, text = self.filter_column, self.filter_text
            rows = [r for r in rows if model.display(r, col) == text]
        if self.sort_column is not None:
            column, col = self.column(self.sort_column), self.sort_column
            keyed = [(sort_key(column, model.value(r, col)), r) for r in rows]
            filled = [pair for pair in keyed if pair[0][0] < 2]
            filled.sort(key=lambda pair: pair[0], reverse=self.sort_descending)
            empty = [r for key, r in keyed if key[0] == 2]
            rows = [r for _, r in filled] + empty
        return rows

    def find(
        self, pattern: str, row: int, col: int, *, forward: bool = True
    ) -> tuple[int, int] | None:
        """The next cell (row-major, wrapping, after the given one) whose text contains
        `pattern`, ignoring case."""
        rows, columns = self.rows(), self.model.columns
        if not pattern or not rows:
            return None
        needle, width = pattern.casefold(), len(columns)
        total = len(rows) * width
        start = row * width + col
        step = 1 if forward else -1
        for n in range(1, total + 1):
            r, c = divmod((start + step * n) % total, width)
            if needle in self.model.display(rows[r], columns[c].id).casefold():
                return r, c
        return None
