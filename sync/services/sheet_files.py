"""Reading the township's sheet CSVs (cli.md `sheet import`) into checked sheet values.

A sheet file is read whole and every bad cell is reported as `FILE:ROW:COLUMN: message`
(ROW is the CSV line, the header is line 1), so the clerk fixes the file once rather
than once per problem. Nothing here writes: the sheets service (sheets.py) writes the
values in one transaction only when this found no problem.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from vledger.domain.program import Program
from vledger.domain.ranking import InputProblem, SheetInputs, VillageLike, check_inputs
from vledger.sync.services.tabular import revive_cell

# The exact header of each kind of sheet (cli.md).
HEADERS: dict[str, tuple[str, ...]] = {
    "targets": ("village", "indicator", "value"),
    "entered": ("village", "indicator", "period", "value"),
    "manual": ("village", "item", "period", "points"),
    "adjustments": ("village", "adjustment", "period", "count"),
}
SHEET_KINDS = tuple(HEADERS)

# Full-width digits and signs as an IME types them (same narrow map as domain/values.py).
_ASCII = str.maketrans(
    {**{chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)},
     "\u3000": " ", "\u2212": "-", "\u3002": "."}
)

# Which column an input problem is about, so it can be reported at its cell.
_PROBLEM_COLUMN = {
    "unknown_village": 0,
    "unknown_indicator": 1, "unknown_item": 1, "unknown_adjustment": 1,
    "not_entered": 1, "not_manual": 1,
    "unknown_period": 2,
    "negative": -1, "above_points": -1, "not_whole": -1,
}


@dataclass(frozen=True)
class SheetEntry:
    """One value read from a sheet file; `key` is in SheetInputs order (village, id[, period])."""

    key: tuple[str, ...]
    value: Decimal
    line: int


def read_number(text: str) -> Decimal | None:
    """An exact decimal from what a clerk typed (full-width forms allowed); None if not one."""
    cleaned = text.translate(_ASCII).strip().replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_sheet(
    program: Program,
    kind: str,
    text: str,
    filename: str,
    villages: Iterable[VillageLike] | None,
    lang: str = "en",
) -> tuple[list[SheetEntry], list[str]]:
    """The entries of a sheet file and every problem as `FILE:ROW:COLUMN: message`.

    Entries are only meaningful when the problem list is empty.
    """
    header = HEADERS[kind]
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[tuple[int, int, str]] = []  # (line, column, text): reported in file order
    first = next(reader, None)
    found = tuple(cell.strip() for cell in first) if first is not None else ()
    if found != header:
        shown = ",".join(found) if found else "nothing"
        return [], [f"{filename}:1: the header must be exactly {','.join(header)} (found {shown})"]
    entries: list[SheetEntry] = []
    seen: dict[tuple[str, ...], int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines, as spreadsheets leave at the end
        entry = _entry(header, [revive_cell(c.strip()) for c in cells], line, problems)
        if entry is None:
            continue
        if entry.key in seen:
            problems.append(
                (line, 0, f"{header[0]}: {','.join(cells)} repeats line {seen[entry.key]}")
            )
            continue
        seen[entry.key] = line
        entries.append(entry)
    problems.extend(_input_problems(program, kind, entries, villages, lang))
    return entries, [f"{filename}:{line}:{text}" for line, _, text in sorted(problems)]


def _entry(
    header: Sequence[str],
    cells: list[str],
    line: int,
    problems: list[tuple[int, int, str]],
) -> SheetEntry | None:
    if len(cells) != len(header):
        problems.append(
            (line, -1, f" expected {len(header)} cells ({','.join(header)}), found {len(cells)}")
        )
        return None
    bad = False
    for n, (name, cell) in enumerate(zip(header[:-1], cells[:-1], strict=True)):
        if not cell:
            problems.append((line, n, f"{name}: empty"))
            bad = True
    value = read_number(cells[-1])
    if value is None:
        shown = f'"{cells[-1]}" is not a number' if cells[-1] else "empty"
        problems.append((line, len(header) - 1, f"{header[-1]}: {shown}"))
        bad = True
    if bad or value is None:
        return None
    return SheetEntry(tuple(cells[:-1]), value, line)


def sheet_inputs_of(kind: str, values: Mapping[tuple[str, ...], Decimal]) -> SheetInputs:
    """The values of one kind of sheet as ranking inputs, keyed as SheetInputs keys them."""
    if kind == "targets":
        return SheetInputs(targets={(k[0], k[1]): v for k, v in values.items()})
    per_period = {(k[0], k[1], k[2]): v for k, v in values.items()}
    if kind == "entered":
        return SheetInputs(entered=per_period)
    if kind == "manual":
        return SheetInputs(manual=per_period)
    return SheetInputs(adjustments=per_period)


def _input_problems(
    program: Program,
    kind: str,
    entries: list[SheetEntry],
    villages: Iterable[VillageLike] | None,
    lang: str,
) -> list[tuple[int, int, str]]:
    lines = {e.key: e.line for e in entries}
    header = HEADERS[kind]
    out: list[tuple[int, int, str]] = []
    given = sheet_inputs_of(kind, {e.key: e.value for e in entries})
    for problem in check_inputs(program, villages, given):
        column = _PROBLEM_COLUMN[problem.code]
        name = header[column]
        text = f"{name}: {problem_text(problem, lang)}"
        out.append((lines[problem.key], column % len(header), text))
    return out


def problem_text(problem: InputProblem, lang: str = "en") -> str:
    """The problem's message without its `sheet key:` prefix (the caller names the cell)."""
    return problem.said.text(lang)
