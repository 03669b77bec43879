"""The ranking sheet as rows of text for the read-only grid: its columns (village first,
then rank, total, marks, one short column per item, then the money), each village's cells,
and the notes under the sheet. Without Textual.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

from vledger.domain.decimals import format_money, format_score
from vledger.domain.program import Program
from vledger.domain.ranking import RankingSheet, SheetRow
from vledger.messages import say
from vledger.tui.grid.model import GridColumn
from vledger.tui.i18n import t

ITEM_TITLE_CELLS = 10  # "short titles": the sheet must fit many items at 80 columns


def column(id: str, title: str, width: int, numeric: bool = True) -> GridColumn:
    return GridColumn(id, title, "decimal" if numeric else "text", width, editable=False)


def short(title: str, cells: int = ITEM_TITLE_CELLS) -> str:
    return title if cell_len(title) <= cells else set_cell_size(title, cells - 1) + "…"


def sheet_columns(program: Program, lang: str) -> list[GridColumn]:
    """Village first (the frozen column stays readable when scrolling right to the items),
    then rank, total and the marks, so 80 columns show who, where and whether complete."""
    cols = [
        column("village", t(lang, "village"), 8, numeric=False),
        column("rank", t(lang, "rank"), 4),
        column("total", t(lang, "total"), 7),
        column("marks", say(lang, "ui.ranking.col.marks"), 8, numeric=False),
    ]
    cols += [column(item.id, short(item.title), 6) for item in program.items]
    cols += [
        column("adjustments", t(lang, "adjustments"), 6),
        column("rank_bonus", say(lang, "ui.ranking.col.rank-bonus"), 6),
        column("reward", say(lang, "ui.ranking.col.reward"), 6),
        column("penalty", say(lang, "ui.ranking.col.penalty"), 6),
        column("amount", say(lang, "ui.ranking.col.amount"), 7),
    ]
    return cols


def row_marks(row: SheetRow, lang: str) -> str:
    marks = []
    if row.vetoed:
        marks.append(say(lang, "ui.ranking.vetoed"))
    elif row.complete:
        marks.append(say(lang, "ui.ranking.complete"))
    if row.warnings:
        marks.append(f"⚠{len(row.warnings)}")
    return " ".join(marks)


def sheet_rows(sheet: RankingSheet, lang: str) -> list[tuple[str, dict[str, str]]]:
    out = []
    for row in sheet.rows:
        cells = {
            "village": row.name or row.village,
            "rank": str(row.rank),
            "total": format_score(row.total),
            "marks": row_marks(row, lang),
            "adjustments": format_score(row.adjustments),
            "rank_bonus": format_score(row.rank_bonus),
            "reward": format_money(row.reward),
            "penalty": format_money(row.penalty),
            "amount": format_money(row.amount),
        }
        cells.update({k: format_score(r.score) for k, r in row.items.items()})
        out.append((row.village, cells))
    return out


def sheet_notes(sheet: RankingSheet, lang: str) -> str:
    """Warnings and area money under the sheet: a row outside the year must be seen."""
    parts = []
    warned = [(r, w) for r in sheet.rows for w in r.warnings]
    if warned:
        names = list(dict.fromkeys(r.name or r.village for r, _ in warned))
        parts.append(say(lang, "ui.ranking.warned", count=len(warned), villages=names))
    if sheet.areas:
        money = "  ".join(f"{a.area} {format_money(a.amount)}" for a in sheet.areas)
        parts.append(say(lang, "ui.ranking.areas", money=money))
    return "\n".join(parts)
