"""The ranking sheet's inputs (the township's sheets): annual targets, entered indicator
values, manual points and adjustments, per program (and per period for all but targets).
They live in the township document of the program's year, next to the program.

Only the township writes them. A sheet CSV is imported whole or not at all, every bad
cell refused at once as `FILE:ROW:COLUMN: message` (sheet_files.py reads it); a single
value is checked by the same rules as a sheet row before it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import cast

from vledger.domain.program import Program
from vledger.domain.ranking import SheetInputs, check_inputs
from vledger.domain.villages import Village
from vledger.messages import Message
from vledger.sync.documents.township import SheetKind, SheetValue, TownshipDoc
from vledger.sync.services.context import OfficeContext
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.programs import ProgramService
from vledger.sync.services.roster import RosterService

__all__ = ["SheetImport", "SheetService", "check_value"]


@dataclass(frozen=True)
class SheetImport:
    """What a sheet import wrote: how many values, and how the file was read (as GBK)."""

    count: int
    notes: tuple[Message, ...] = ()

Raw = Decimal | int | str | None  # a value as given: typed text, a number, or None to clear


class SheetService:
    """The township's sheets of every program, read and written through the township
    document."""

    def __init__(
        self, context: OfficeContext, programs: ProgramService, roster: RosterService
    ) -> None:
        self._context = context
        self._programs = programs
        self._roster = roster

    def inputs(self, program_id: str) -> SheetInputs:
        program = self._programs.get(program_id)
        return inputs_of(self._context.township_doc(program.year), program_id)

    def import_csv(
        self, program_id: str, kind: str, path: Path | str, *, shown_as: str | None = None
    ) -> SheetImport:
        """Import a sheet CSV whole or not at all: how many values were written.

        Problems are `FILE:ROW:COLUMN: message`, FILE as `shown_as` (default: `path`).
        """
        # Here, not at the top: reading sheet files (and what it brings) is for importing
        # them; a ranking reads only the township document.
        from vledger.sync.services.sheet_files import HEADERS, SHEET_KINDS, parse_sheet
        from vledger.sync.services.tabular import MAX_FILE_BYTES, TabularError, decode_text

        context = self._context
        context.require_township("import sheets")
        if kind not in HEADERS:
            raise Refusal(f"unknown sheet {kind!r} (expected one of {', '.join(SHEET_KINDS)})")
        program = self._programs.get(program_id)
        filename = shown_as if shown_as is not None else str(path)
        try:
            size = Path(path).stat().st_size
            if size > MAX_FILE_BYTES:
                raise Refusal(f"{filename}: {size >> 20} MB is more than a sheet can be (at "
                              f"most {MAX_FILE_BYTES >> 20} MB)")
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise Refusal(f"{filename}: no such file") from None
        except OSError as error:
            raise Refusal(f"{filename}: cannot read it ({error.strerror or error})") from None
        try:
            text, notes = decode_text(data, filename)
        except TabularError as error:
            raise Refusal(*error.problems) from None
        entries, problems = parse_sheet(program, kind, text, filename,
                                        self._roster.villages(program.year), context.lang)
        if problems:
            raise Refusal(*notes, *problems)  # how it was read helps read the problems
        values = [_sheet_value(cast(SheetKind, kind), program.id, e.key, e.value)
                  for e in entries]
        context.write(lambda: context.township_doc(program.year).set_values(context.who, values))
        return SheetImport(len(values), notes)

    def set_target(self, program_id: str, village: str, indicator: str, value: Raw) -> None:
        """One annual target (None clears it)."""
        self._set("targets", program_id, (village, indicator), value)

    def set_entered(
        self, program_id: str, village: str, indicator: str, period: str, value: Raw
    ) -> None:
        self._set("entered", program_id, (village, indicator, period), value)

    def set_manual(self, program_id: str, village: str, item: str, period: str, points: Raw
                   ) -> None:
        self._set("manual", program_id, (village, item, period), points)

    def set_adjustment(
        self, program_id: str, village: str, adjustment: str, period: str, count: Raw
    ) -> None:
        self._set("adjustments", program_id, (village, adjustment, period), count)

    def _set(self, kind: SheetKind, program_id: str, key: tuple[str, ...], raw: Raw) -> None:
        context = self._context
        context.require_township("change the ranking sheet's inputs")
        program = self._programs.get(program_id)
        value = check_value(program, self._roster.villages(program.year), kind, key, raw,
                            context.lang)
        sheet_value = _sheet_value(kind, program.id, key, value)
        context.write(lambda: context.township_doc(program.year).set_values(context.who,
                                                                            [sheet_value]))


def check_value(
    program: Program, villages: Sequence[Village], kind: SheetKind, key: tuple[str, ...],
    raw: Raw, lang: str = "en",
) -> Decimal | None:
    """The number a sheet cell takes (None: cleared), or the Refusal saying why not.

    Only the program and the roster decide it, so a front end may check a typed value
    itself before it asks the office to store it; storing checks it again.
    """
    from vledger.sync.services.sheet_files import (
        HEADERS,
        problem_text,
        read_number,
        sheet_inputs_of,
    )

    value: Decimal | None = None
    if raw is not None:
        value = raw if isinstance(raw, Decimal) else read_number(str(raw))
        if value is None:
            raise Refusal(f"{HEADERS[kind][-1]}: {str(raw).strip()!r} is not a number")
    check = sheet_inputs_of(kind, {key: value if value is not None else Decimal(0)})
    problems = check_inputs(program, list(villages), check)
    if problems:
        raise Refusal(*(f"{','.join(key)}: {problem_text(p, lang)}" for p in problems))
    return value


def inputs_of(township: TownshipDoc, program_id: str) -> SheetInputs:
    """The program's sheets as one township document (as it is, or as it was) holds them."""
    targets = {
        (k[0], k[1]): Decimal(str(v)) for k, v in township.sheet("targets", program_id).items()
        if len(k) == 2
    }

    def per_period(kind: SheetKind) -> dict[tuple[str, str, str], Decimal]:
        # Stored as village/period/key; SheetInputs wants (village, key, period).
        return {(k[0], k[2], k[1]): Decimal(str(v))
                for k, v in township.sheet(kind, program_id).items() if len(k) == 3}

    return SheetInputs(targets=targets, entered=per_period("entered"),
                       manual=per_period("manual"), adjustments=per_period("adjustments"))


def _sheet_value(
    kind: SheetKind, program: str, key: tuple[str, ...], value: Decimal | None
) -> SheetValue:
    stored: Decimal | int | None = value
    if kind == "adjustments" and value is not None:
        stored = int(value)
    period = key[2] if len(key) == 3 else None
    return SheetValue(kind, program, key[0], key[1], stored, period)
