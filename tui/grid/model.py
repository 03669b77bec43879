"""What the grid shows and edits, without Textual: the model protocol, its columns, and an
in-memory ledger. The undo/redo stack is tui/grid/undo.py, the view (sort, filter, search)
tui/grid/row_view.py.

The grid never touches the store: a screen hands it a `GridModel`. The real ledger model
(over a ledger session of the office) and the township sheets implement the same
protocol, so everything here is tested without a terminal.
"""

from __future__ import annotations

import secrets
from bisect import insort
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from vledger.domain.program import CellValue, Column, Program
from vledger.domain.values import choice_matches, date_warning, format_cell, parse_cell
from vledger.messages import Localized, Message, localize

Mark = Literal["unsynced", "conflict"]
NO_MARKS: frozenset[str] = frozenset()
WIDTH_BY_TYPE = {"int": 8, "decimal": 10, "date": 10, "bool": 4, "choice": 8, "text": 24}
CHANGES_KEPT = 256  # version bumps a model remembers the rows of (`rows_changed_since`)


class CellRefused(ValueError):
    """A commit the model will not take (read-only cell, deleted row); same shape as
    domain.values.ValueProblem so the grid shows either the same way: `said` is a catalogue
    message (or anything that says itself in a language), or text already in the clerk's."""

    def __init__(self, said: Localized | str) -> None:
        super().__init__(str(said))
        self.said = said

    def text(self, lang: str) -> str:
        return localize(self.said, lang)

    @property
    def message(self) -> str:
        return self.text("en")

    @property
    def message_zh(self) -> str:
        return self.text("zh")


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


class ChangedRows(Protocol):
    """A model that can say which rows a change touched (MemoryLedgerModel can): the grid
    then re-places and repaints those rows only. A model without it is read whole again
    on every change of its version."""

    def rows_changed_since(self, version: int) -> frozenset[str] | None:
        """The rows whose cells, marks, deleted flag or place in `row_ids()` changed after
        `version`; None when more than some rows changed (rows added, all read again, all
        marks replaced) or `version` is older than the model remembers."""
        ...


def changed_rows(model: GridModel, version: int) -> frozenset[str] | None:
    """`model.rows_changed_since(version)`, or None (everything) if it cannot say."""
    since = getattr(model, "rows_changed_since", None)
    return since(version) if since is not None else None


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
        self._changes: deque[str | None] = deque(maxlen=CHANGES_KEPT)  # per version bump
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
        model._changes.clear()
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
            self._order = sorted(self._cells, key=self._order_key)
        return self._order

    def _order_key(self, row_id: str) -> tuple[bool, str, tuple[int, ...]]:
        # Rows display in date order, then creation order; undated rows go last.
        day = self._cells[row_id].get(self.program.date_column)
        return (day is None, str(day or ""), self._created[row_id])

    def rows_changed_since(self, version: int) -> frozenset[str] | None:
        """See ChangedRows: what the last `CHANGES_KEPT` version bumps touched."""
        newer = self._version - version
        if newer < 0 or newer > len(self._changes):
            return None
        rows = [self._changes[-n] for n in range(1, newer + 1)]
        return None if None in rows else frozenset(r for r in rows if r is not None)

    def _changed(self, row_id: str | None) -> None:
        """Every change bumps the version once, saying which row (None: any number)."""
        self._version += 1
        self._changes.append(row_id)

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

    def choices_for(self, column_id: str, text: str) -> list[str] | None:
        """The choices `text` can stand for in a choice column (None: not one)."""
        column = self._by_id[column_id]
        return choice_matches(column, text) if column.type == "choice" else None

    def warning(self, row_id: str, column_id: str) -> Message | None:
        """What to tell the clerk about a stored value that will not count as they
        expect (a row date outside the program's year counts in no period)."""
        return date_warning(self.program, self._by_id[column_id],
                            self._cells[row_id].get(column_id))

    def write(self, row_id: str, column_id: str, value: CellValue) -> None:
        if column_id not in self._by_id:
            raise KeyError(column_id)
        self._persist_cells(row_id, {column_id: value})
        self._cells[row_id][column_id] = value
        if self._mark_unsynced:
            self._unsynced.add((row_id, column_id))
        if column_id == self.program.date_column and self._order is not None:
            # Only this row's place changed: move it rather than order every row again.
            self._order.remove(row_id)
            insort(self._order, row_id, key=self._order_key)
        self._changed(row_id)

    def add_row(self) -> str:
        return self._insert({c.id: None for c in self._columns})

    def delete_row(self, row_id: str) -> None:
        self._set_deleted(row_id, True)

    def restore_row(self, row_id: str) -> None:
        self._set_deleted(row_id, False)

    # What sync drives; the facade model fills these from the office instead.
    def mark_synced(self) -> None:
        self._unsynced.clear()
        self._changed(None)

    def set_conflict(self, row_id: str, column_id: str, in_conflict: bool = True) -> None:
        cell = (row_id, column_id)
        (self._conflicts.add if in_conflict else self._conflicts.discard)(cell)
        self._changed(row_id)

    # ---- where edits are kept: nowhere else here; the facade model stores them -------

    def _persist_cells(self, row_id: str, cells: dict[str, CellValue]) -> None:
        pass

    def _persist_deleted(self, row_id: str, deleted: bool) -> None:
        pass

    def _set_deleted(self, row_id: str, deleted: bool) -> None:
        self._require(row_id)
        self._persist_deleted(row_id, deleted)
        (self._deleted.add if deleted else self._deleted.discard)(row_id)
        self._changed(row_id)

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
        self._changed(None)

    def _require(self, row_id: str) -> None:
        if row_id not in self._cells:
            raise KeyError(row_id)

    def _check_writable(self, row_id: str) -> None:
        if row_id in self._deleted:
            raise CellRefused(Message("ui.grid.restore-first"))
