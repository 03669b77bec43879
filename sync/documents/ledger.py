"""A village's document: its ledgers (台账), one map per row.

Layout (genesis makes `ledgers` and `journal`; see sync/document.py for why keys are flat):

    kind = "village", township, office, year, format       the shared first change
    ledgers/<program>/<row id> = {                          made once, by the add
        cells:   {<column>: value},   # spec §2 stored forms; an empty cell has no key
        deleted: bool,                # rows are never removed
        created: int,                 # Unix milliseconds of the add (for display order)
        n:       int,                 # position within that add (a 500-row import)
        office:  str,                 # who added it
        device:  str,                 # ... from which device (rows added before the
        user:    str,                 #   lean journal lack these three; no user: "")
        tz:      int,                 # the adder's UTC offset then, in minutes
    }
    journal/<entry id> = msgpack bytes of a journal entry (documents/journal.py)

Journal cells follow domain/history.py: a cell is (program, village, row id,
column); `add` records one entry per filled cell, `delete`/`restore` record the
row's `deleted` column. A row with `device` stores no add entries: it implies
them (documents/adds.py); rows added before store them in the journal.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from vledger.domain.history import DELETED, RESOLVE, Cell, JournalEntry
from vledger.domain.indicators import ValuesRow, measured_columns
from vledger.domain.program import CellValue, Program
from vledger.sync.documents.adds import moment_iso, row_fields
from vledger.sync.documents.journal import OLD_FORM, Who, random_id
from vledger.sync.documents.replica import (
    LEDGERS,
    VILLAGE,
    Edit,
    EditRefused,
    Record,
    Replica,
    check_id,
)

__all__ = ["LEDGERS", "Row", "VillageDoc", "rows_as_cells"]
_CREATION = itemgetter(0, 1, 2)  # (created, n, row id) of a stored row
_TABLE_CREATION = itemgetter(1, 2, 0)  # the same of a row read by rows_to_measure
# What a Row is made of, and what measuring reads: a row's other fields (who added it,
# from which device...) are for the history, which reads them itself.
_ROW_FIELDS = ("cells", "created", "deleted", "n", "office")
_MEASURED = ("created", "n", "deleted")  # then the cells (rows_to_measure)
ROW_ID_LENGTH = 8
_COLUMN = re.compile(r"[a-z][a-z0-9_]{0,30}\Z")
_PROGRAM = re.compile(r"[a-z0-9-]{1,40}\Z")


@dataclass(frozen=True)
class Row:
    """One ledger row as stored. `order` is its place in creation order (0-based)."""

    id: str
    program: str
    cells: Mapping[str, CellValue]
    deleted: bool
    created: int
    n: int
    office: str
    order: int = 0


def _check_program(program: str) -> str:
    if not isinstance(program, str) or not _PROGRAM.match(program):
        raise EditRefused(f"program id {program!r} is not [a-z0-9-]{{1,40}}")
    return program


def _check_cells(cells: Mapping[str, CellValue]) -> dict[str, CellValue]:
    checked: dict[str, CellValue] = {}
    for column, value in cells.items():
        if not isinstance(column, str) or not _COLUMN.match(column):
            raise EditRefused(f"column id {column!r} is not [a-z][a-z0-9_]{{0,30}}")
        if column == DELETED:
            # The journal records delete/restore in column "deleted" (domain/history.py).
            raise EditRefused(f"column id {DELETED!r} is reserved for the row's deleted flag")
        if value is not None and not isinstance(value, bool | int | str):
            raise EditRefused(
                f"column {column}: {type(value).__name__} is not a stored cell value "
                "(int, decimal string, date string, text, bool)"
            )
        checked[column] = value
    return checked


class VillageDoc:
    """Reads and edits one village's ledgers; every edit is one durable transaction."""

    def __init__(self, replica: Replica) -> None:
        if replica.kind not in (VILLAGE, None):
            raise ValueError(f"{replica.doc_id} is a {replica.kind} document, not a village's")
        self.replica = replica

    @property
    def village(self) -> str:
        office = self.replica.header["office"]
        return office if isinstance(office, str) else ""

    # -- reading -------------------------------------------------------------------

    def programs(self) -> list[str]:
        """Programs that have at least one row (deleted or not)."""
        return sorted({key.split("/", 1)[0] for key in self.replica.keys([LEDGERS])})

    def rows(
        self, program: str, date_column: str | None = None, *, include_deleted: bool = True
    ) -> list[Row]:
        """The program's rows in display order: by date (empty dates last), then creation."""
        ordered = [
            _stored_row(program, row_id, value, order, created, n)
            for order, (created, n, row_id, value) in enumerate(self._stored(program))
        ]
        if date_column is not None:
            ordered.sort(key=lambda r: _date_key(r.cells.get(date_column)))
        return [r for r in ordered if include_deleted or not r.deleted]

    def rows_to_measure(self, program: Program) -> list[ValuesRow]:
        """The program's live rows as `measure_values` reads them (domain/indicators.py):
        id, place in creation order among all its rows (deleted or not), and only the
        cells measuring reads. A ledger of thousands of rows is read in a few binding
        calls per row, without the cells and fields that change no measure."""
        prefix = f"{program.id}/"
        start = len(prefix)
        columns = measured_columns(program)
        # Cells as stored: plain scalars (what a cell holds, or what another tool wrote).
        stored: list[list[Any]] = self.replica.read_table(
            [LEDGERS], prefix, _MEASURED, "cells", columns)
        for row in stored:  # [key, created, n, deleted, *cells]
            created, n = row[1], row[2]
            if type(created) is not int:  # not bool (_int)
                row[1] = 0
            if type(n) is not int:
                row[2] = 0
        stored.sort(key=_TABLE_CREATION)
        return [
            (str(row[0])[start:], order, row[4:])
            for order, row in enumerate(stored) if row[3] is not True
        ]

    def _stored(
        self, program: str, fields: tuple[str, ...] = _ROW_FIELDS
    ) -> list[tuple[int, int, str, dict[str, Any]]]:
        """Each stored row as (created, n, row id, its `fields`), in creation order."""
        prefix = f"{program}/"
        start = len(prefix)
        # The whole ledger in a few binding calls per row (maps come back as dicts), then
        # each row's place in creation order: (created, n, id).
        stored = []
        for key, value in self.replica.read_fields([LEDGERS], prefix, fields).items():
            created, n = value.get("created"), value.get("n")
            stored.append((created if type(created) is int else 0,  # not bool (_int)
                           n if type(n) is int else 0, key[start:], value))
        stored.sort(key=_CREATION)
        return stored

    def row(self, program: str, row_id: str) -> Row | None:
        return self._row(program, row_id)

    def _row(self, program: str, row_id: str) -> Row | None:
        return _row(program, row_id, self.replica.read([LEDGERS, f"{program}/{row_id}"]))

    # -- edits -----------------------------------------------------------------------

    def add_rows(
        self, who: Who, program: str, rows: Sequence[Mapping[str, CellValue]]
    ) -> list[str]:
        """Add rows in one transaction (a whole import is one call); returns their ids."""
        with self.replica.writing():
            edits, ids = self.add_row_edits(who, program, rows)
            self.replica.write(who, edits)
        return ids

    def add_row(self, who: Who, program: str, cells: Mapping[str, CellValue]) -> str:
        return self.add_rows(who, program, [cells])[0]

    def set_cells(
        self, who: Who, program: str, row_id: str, cells: Mapping[str, CellValue]
    ) -> list[JournalEntry]:
        with self.replica.writing():
            return self.replica.write(who, self.set_cell_edits(program, row_id, cells))

    def delete_row(self, who: Who, program: str, row_id: str) -> list[JournalEntry]:
        with self.replica.writing():
            return self.replica.write(who, [self.flag_edit(program, row_id, deleted=True)])

    def restore_row(self, who: Who, program: str, row_id: str) -> list[JournalEntry]:
        with self.replica.writing():
            return self.replica.write(who, [self.flag_edit(program, row_id, deleted=False)])

    def resolve(
        self, who: Who, cell: Cell, value: CellValue, settles: Sequence[str]
    ) -> list[JournalEntry]:
        """Settle a conflict on a ledger cell (or a row's deleted flag) with `value`."""
        village = cell[1]
        if village != self.village:
            raise EditRefused(f"cell {cell!r} is not in {self.village}'s ledgers")
        if not settles:
            raise EditRefused("a resolve names the edits it settles")
        with self.replica.writing():
            return self._resolve(who, cell, value, settles)

    def _resolve(
        self, who: Who, cell: Cell, value: CellValue, settles: Sequence[str]
    ) -> list[JournalEntry]:
        program, _, row_id, column = cell
        self._existing(program, row_id)
        if column == DELETED:
            if not isinstance(value, bool):
                raise EditRefused("the deleted flag is true or false")
            path: tuple[str, ...] = (LEDGERS, f"{program}/{row_id}", DELETED)
        else:
            _check_cells({column: value})
            path = (LEDGERS, f"{program}/{row_id}", "cells", column)
        edit = Edit(RESOLVE, cell, path, value, settles=tuple(settles))
        return self.replica.write(who, [edit])

    # -- edit builders (to combine several kinds of edit in one transaction) ----------

    def add_row_edits(
        self, who: Who, program: str, rows: Sequence[Mapping[str, CellValue]]
    ) -> tuple[list[Edit], list[str]]:
        _check_program(program)
        village = check_id("village", self.village)
        taken = set(self.replica.keys([LEDGERS]))
        # Creation order must hold on this replica even within one millisecond or when
        # the clock steps back: never go below what this replica has already seen.
        created = max(int(time.time() * 1000), self._latest_created(taken) + 1)
        # The row implies its add entries (documents/adds.py): they are not stored.
        fields = row_fields(who.office, who.device, who.user, created)
        implied: str | None = moment_iso(created, fields["tz"])
        if self.replica.journal_form == OLD_FORM:
            fields, implied = {"created": created, "office": who.office}, None
        edits: list[Edit] = []
        ids: list[str] = []
        for n, cells in enumerate(rows):
            filled = {k: v for k, v in _check_cells(cells).items() if v is not None}
            row_id = random_id(ROW_ID_LENGTH)
            while f"{program}/{row_id}" in taken:
                row_id = random_id(ROW_ID_LENGTH)
            taken.add(f"{program}/{row_id}")
            records = tuple(
                Record("add", (program, village, row_id, column), value, None, implied)
                for column, value in sorted(filled.items())
            ) or (
                # An empty row still has to appear in the history: record its flag.
                Record("add", (program, village, row_id, DELETED), False, None, implied),
            )
            stored: dict[str, Any] = {"cells": filled, "deleted": False, "n": n, **fields}
            cell = (program, village, row_id, "")
            edits.append(Edit("add", cell, (LEDGERS, f"{program}/{row_id}"), stored, records))
            ids.append(row_id)
        return edits, ids

    def set_cell_edits(
        self, program: str, row_id: str, cells: Mapping[str, CellValue]
    ) -> list[Edit]:
        self._existing(program, row_id)
        village = self.village
        key = f"{program}/{row_id}"
        return [
            Edit("set", (program, village, row_id, column), (LEDGERS, key, "cells", column), value)
            for column, value in _check_cells(cells).items()
        ]

    def flag_edit(self, program: str, row_id: str, *, deleted: bool) -> Edit:
        self._existing(program, row_id)
        op = "delete" if deleted else "restore"
        cell = (program, self.village, row_id, DELETED)
        return Edit(op, cell, (LEDGERS, f"{program}/{row_id}", DELETED), deleted)

    def _latest_created(self, keys: Iterable[str]) -> int:
        latest = 0
        for key in keys:
            latest = max(latest, _int(self.replica.read([LEDGERS, key, "created"])))
        return latest

    def _existing(self, program: str, row_id: str) -> None:
        _check_program(program)
        if self.replica.object_at([LEDGERS, f"{program}/{row_id}"]) is None:
            raise EditRefused(f"no row {row_id!r} in {program} of {self.village}")


def _row(program: str, row_id: str, stored: object) -> Row | None:
    """A row from what is stored at its key (None when that is not a map)."""
    if type(stored) is not dict:
        return None
    return _stored_row(program, row_id, stored, 0, _int(stored.get("created")),
                       _int(stored.get("n")))


def _stored_row(
    program: str, row_id: str, stored: dict[str, Any], order: int, created: int, n: int
) -> Row:
    return Row(
        id=row_id,
        program=program,
        cells=_cells(stored),
        deleted=stored.get("deleted") is True,
        created=created,
        n=n,
        office=str(stored.get("office") or ""),
        order=order,
    )


def _cells(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored row's cells: a fresh dict from the replica, which the row owns."""
    cells = stored.get("cells")
    if type(cells) is not dict:
        return {}
    if dict in map(type, cells.values()):
        # A map where a value belongs is no cell value (replica reads give maps as dicts).
        return {k: v for k, v in cells.items() if type(v) is not dict}
    return cells


def _date_key(value: object) -> tuple[int, str]:
    return (0, value) if isinstance(value, str) and value else (1, "")


def _int(value: object) -> int:
    return value if type(value) is int else 0  # not bool, which is an int to Python too


def rows_as_cells(rows: Iterable[Row]) -> list[dict[str, Any]]:
    """Rows as `ledger list --json` prints them (cli.md)."""
    return [{"id": r.id, "deleted": r.deleted, "cells": dict(r.cells)} for r in rows]
