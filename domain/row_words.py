"""How a clerk recognises a ledger row without its id: its date and its first filled cells
("2026-01-05 安全宣传 二组"). Row ids are random (ihfotqha); a screen that names a row
(a conflict, an explanation's counted rows) says this instead.
"""

from __future__ import annotations

from collections.abc import Mapping

from vledger.domain.program import CellValue, Program

CELLS_SHOWN = 2  # after the date: enough to tell rows of one day apart
CUT_AT = 10  # characters of one cell's text; a long note would crowd out the rest


def row_label(program: Program, cells: Mapping[str, CellValue],
              cells_shown: int = CELLS_SHOWN) -> str:
    """The row's date, then its first `cells_shown` filled text, choice or number cells in
    the program's column order (yes/no cells say little on their own: skipped)."""
    parts: list[str] = []
    date = cells.get(program.date_column)
    if date not in (None, ""):
        parts.append(str(date))
    shown = 0
    for column in program.columns:
        if shown >= cells_shown:
            break
        if column.id == program.date_column or column.type == "bool":
            continue
        value = cells.get(column.id)
        if value is None or value == "":
            continue
        text = " ".join(str(value).split())
        parts.append(text if len(text) <= CUT_AT else text[:CUT_AT - 1] + "…")
        shown += 1
    return " ".join(parts)
