"""The township's sheets as GridModels: one row per village, one column per indicator
(targets, entered values), manual item or adjustment, for one program (and one period for
all but the annual targets). Values are read from and written through the office's sheets
service, which checks them (negative targets, points above the item's, counts not whole).

A sheet has a fixed set of rows (the roster), so adding, deleting and restoring rows are
refused with a reason instead of pretending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from vledger.domain.program import YEAR, CellValue, Program
from vledger.errors import VledgerError
from vledger.messages import Message, say
from vledger.tui.grid.model import NO_MARKS, CellRefused, GridColumn
from vledger.tui.grid.office_model import refusal_reason

if TYPE_CHECKING:
    from vledger.sync.services.office import Office

SheetKind = Literal["targets", "entered", "manual", "adjustments"]
SHEET_KINDS: tuple[SheetKind, ...] = ("targets", "entered", "manual", "adjustments")
VILLAGE_COLUMN = "village"


@dataclass(frozen=True)
class SheetColumn:
    id: str
    title: str


def sheet_columns(program: Program, kind: SheetKind) -> list[SheetColumn]:
    """What a sheet of `kind` has a column for, in the program file's order."""
    if kind == "targets":
        used = {i.indicator for i in program.items if i.indicator}
        return [SheetColumn(i.id, i.title) for i in program.indicators if i.id in used]
    if kind == "entered":
        return [SheetColumn(i.id, i.title) for i in program.indicators if i.kind == "entered"]
    if kind == "manual":
        return [SheetColumn(i.id, i.title) for i in program.items if i.rule == "manual"]
    return [SheetColumn(a.id, a.title) for a in program.adjustments]


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


class SheetModel:
    """GridModel for one sheet of one program (see tui/grid_model.GridModel)."""

    def __init__(
        self, office: Office, program: Program, kind: SheetKind, period: str = YEAR,
        *, lang: str = "zh",
    ) -> None:
        self.office = office
        self.program = program
        self.kind = kind
        self.period = YEAR if kind == "targets" else period
        self.lang = lang
        self.sheet_columns = sheet_columns(program, kind)
        self._version = 0
        self.reload()

    @property
    def columns(self) -> Sequence[GridColumn]:
        first = GridColumn(VILLAGE_COLUMN, say(self.lang, "ui.history.col.village"), "text", 8,
                           editable=False)
        return (first, *(GridColumn(c.id, c.title, "decimal", 8) for c in self.sheet_columns))

    @property
    def version(self) -> int:
        return self._version

    def reload(self) -> None:
        villages = self.office.roster.villages(self.program.year)  # those of its year
        self._villages = [v.id for v in villages]
        self._names = {v.id: v.name for v in villages}
        inputs = self.office.sheets.inputs(self.program.id)
        self._values: dict[tuple[str, str], Decimal] = {}
        if self.kind == "targets":
            self._values = dict(inputs.targets)
        else:
            stored = getattr(inputs, self.kind)
            self._values = {(v, k): x for (v, k, p), x in stored.items() if p == self.period}
        self._version += 1

    def row_count(self) -> int:
        return len(self._villages)

    def row_ids(self) -> Sequence[str]:
        return self._villages

    def display(self, row_id: str, column_id: str) -> str:
        if column_id == VILLAGE_COLUMN:
            return self._names.get(row_id, row_id)
        value = self._values.get((row_id, column_id))
        return "" if value is None else _plain(value)

    def value(self, row_id: str, column_id: str) -> CellValue:
        if column_id == VILLAGE_COLUMN:
            return self._names.get(row_id, row_id)
        found = self._values.get((row_id, column_id))
        return None if found is None else _plain(found)

    def is_deleted(self, row_id: str) -> bool:
        return False

    def marks(self, row_id: str, column_id: str) -> frozenset[str]:
        return NO_MARKS

    def commit(self, row_id: str, column_id: str, text: str) -> None:
        self.write(row_id, column_id, text.strip() or None)

    def write(self, row_id: str, column_id: str, value: CellValue) -> None:
        if column_id == VILLAGE_COLUMN:
            raise CellRefused(Message("ui.grid.village-read-only"))
        raw = None if value is None or value == "" else str(value)
        try:
            self._set(row_id, column_id, raw)
        except VledgerError as error:  # the sheets service refused: the editor shows why
            raise refusal_reason(error) from error
        self.reload()

    def _set(self, village: str, column_id: str, raw: str | None) -> None:
        sheets, program = self.office.sheets, self.program.id
        if self.kind == "targets":
            sheets.set_target(program, village, column_id, raw)
        elif self.kind == "entered":
            sheets.set_entered(program, village, column_id, self.period, raw)
        elif self.kind == "manual":
            sheets.set_manual(program, village, column_id, self.period, raw)
        else:
            sheets.set_adjustment(program, village, column_id, self.period, raw)

    def add_row(self) -> str:
        raise CellRefused(Message("ui.grid.sheet-add-row"))

    def delete_row(self, row_id: str) -> None:
        raise CellRefused(Message("ui.grid.sheet-delete-row"))

    def restore_row(self, row_id: str) -> None:
        raise CellRefused(Message("ui.grid.sheet-restore-row"))
