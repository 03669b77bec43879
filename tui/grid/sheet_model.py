"""The township's sheets as GridModels: one row per village, one column per indicator
(targets, entered values), manual item or adjustment, for one program (and one period for
all but the annual targets).

Values are read on the office's worker (`read_sheet`) and written through the sheets
service there. A typed value is checked at once by the very rules the service applies
(`check_value`: negative targets, points above the item's, counts not whole), so a bad one
keeps the editor open with the reason; a good one shows at once and its write is queued.
A write the store still refuses is said (`refused`) and the sheet read again.

A sheet has a fixed set of rows (the roster), so adding, deleting and restoring rows are
refused with a reason instead of pretending.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from vledger.domain.program import YEAR, CellValue, Program
from vledger.errors import VledgerError
from vledger.messages import Message, say
from vledger.sync.services.sheets import check_value
from vledger.tui.grid.model import NO_MARKS, CellRefused, GridColumn
from vledger.tui.grid.office_model import refusal_reason

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from vledger.domain.villages import Village
    from vledger.sync.services.office import Office
    from vledger.tui.office_worker import OfficeWorker

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


def read_sheet(office: Office, program: Program, kind: SheetKind,
               period: str) -> dict[tuple[str, str], Decimal]:
    """On the worker: the sheet's values by (village, column)."""
    inputs = office.sheets.inputs(program.id)
    if kind == "targets":
        return dict(inputs.targets)
    stored = getattr(inputs, kind)
    return {(v, k): x for (v, k, p), x in stored.items() if p == period}


class SheetModel:
    """GridModel for one sheet of one program (see tui/grid/model.GridModel)."""

    def __init__(
        self, worker: OfficeWorker, owner: MessagePump, program: Program, kind: SheetKind,
        period: str = YEAR, *, villages: Sequence[Village],
        values: dict[tuple[str, str], Decimal], lang: str = "zh",
        refused: Callable[[VledgerError], None] | None = None,
    ) -> None:
        self.worker = worker
        self.owner = owner
        self.program = program
        self.kind = kind
        self.period = YEAR if kind == "targets" else period
        self.lang = lang
        self.refused = refused
        self.sheet_columns = sheet_columns(program, kind)
        self._version = 0
        self._pending: list[tuple[int, tuple[str, str], Decimal | None]] = []
        self._writes = 0
        self.set_villages(villages)
        self.apply(values)

    @property
    def columns(self) -> Sequence[GridColumn]:
        first = GridColumn(VILLAGE_COLUMN, say(self.lang, "ui.history.col.village"), "text", 8,
                           editable=False)
        return (first, *(GridColumn(c.id, c.title, "decimal", 8) for c in self.sheet_columns))

    @property
    def version(self) -> int:
        return self._version

    def set_villages(self, villages: Sequence[Village]) -> None:
        self._roster = list(villages)
        self._villages = [v.id for v in villages]
        self._names = {v.id: v.name for v in villages}
        self._version += 1

    def apply(self, values: dict[tuple[str, str], Decimal]) -> None:
        """Swap in values read on the worker, with the writes still queued laid over them."""
        self._values = dict(values)
        for _number, key, value in self._pending:
            self._put(key, value)
        self._version += 1

    def refresh(self, done: Callable[[], None]) -> None:
        """Read the sheet again on the worker; `done()` once it shows."""
        program, kind, period = self.program, self.kind, self.period

        def read(values: dict[tuple[str, str], Decimal]) -> None:
            self.apply(values)
            done()

        self.worker.run(self.owner, lambda office: read_sheet(office, program, kind, period),
                        read)

    def reload(self) -> None:
        self._version += 1  # the village column's title speaks the language

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
        key = self._key(row_id, column_id)
        try:  # the service's own rules, here and now: a bad value keeps the editor open
            number = check_value(self.program, self._roster, self.kind, key, raw, self.lang)
        except VledgerError as error:
            raise refusal_reason(error) from error
        self._queue((row_id, column_id), number, raw)
        self._put((row_id, column_id), number)
        self._version += 1

    def _key(self, village: str, column_id: str) -> tuple[str, ...]:
        return (village, column_id) if self.kind == "targets" else (village, column_id,
                                                                    self.period)

    def _put(self, key: tuple[str, str], value: Decimal | None) -> None:
        if value is None:
            self._values.pop(key, None)
        else:
            self._values[key] = value

    def _queue(self, key: tuple[str, str], value: Decimal | None, raw: str | None) -> None:
        self._writes += 1
        number = self._writes
        self._pending.append((number, key, value))
        program, kind, period = self.program.id, self.kind, self.period
        village, column_id = key

        def job(office: Office) -> None:
            sheets = office.sheets
            if kind == "targets":
                sheets.set_target(program, village, column_id, raw)
            elif kind == "entered":
                sheets.set_entered(program, village, column_id, period, raw)
            elif kind == "manual":
                sheets.set_manual(program, village, column_id, period, raw)
            else:
                sheets.set_adjustment(program, village, column_id, period, raw)

        def answered() -> None:
            self._pending = [p for p in self._pending if p[0] != number]

        def failed(error: VledgerError) -> None:
            answered()
            if self.refused is not None:
                self.refused(error)

        self.worker.run(self.owner, job, lambda _none: answered(), failed=failed, write=True)

    def add_row(self) -> str:
        raise CellRefused(Message("ui.grid.sheet-add-row"))

    def delete_row(self, row_id: str) -> None:
        raise CellRefused(Message("ui.grid.sheet-delete-row"))

    def restore_row(self, row_id: str) -> None:
        raise CellRefused(Message("ui.grid.sheet-restore-row"))
