"""The ranking sheet as rows of text for the read-only grid: its columns (village first,
then rank, total, marks, one short column per item, then the money), each village's cells,
and the notes under the sheet; the same rows of a published sheet (from what was
announced), the numbers that moved since the publication and the words that explain a
move. Without Textual.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len, set_cell_size

from vledger.domain.decimals import format_money, format_score
from vledger.domain.program import Program
from vledger.domain.publication import FieldChange, Publication, edits_behind
from vledger.domain.ranking import RankingSheet, SheetRow
from vledger.messages import say
from vledger.tui.grid.model import GridColumn
from vledger.tui.grid.table_model import TableModel
from vledger.tui.i18n import t
from vledger.tui.screens.history_text import op_name, show_time, show_value

if TYPE_CHECKING:
    from vledger.sync.services.publications import Changes

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


# -- a published sheet, and what moved since ---------------------------------------------

# Where each published field shows on the grid (items keep their ids).
FIELD_COLUMNS = {"complete": "marks", "vetoed": "marks", "from_bottom": ""}
MOVED = "moved"  # the grid mark of a number that differs from the published sheet


def published_rows(publication: Publication, lang: str) -> list[tuple[str, dict[str, str]]]:
    """The rows of a sheet as it was published (its `rank --json` and its names)."""
    out = []
    for row in publication.sheet.get("rows") or []:
        village = str(row["village"])
        marks = []
        if row.get("vetoed"):
            marks.append(say(lang, "ui.ranking.vetoed"))
        elif row.get("complete"):
            marks.append(say(lang, "ui.ranking.complete"))
        cells = {
            "village": publication.labels.villages.get(village) or village,
            "rank": str(row.get("rank", "")), "total": str(row.get("total", "")),
            "marks": " ".join(marks),
            **{k: str(row.get(k, "")) for k in ("adjustments", "rank_bonus", "reward",
                                                 "penalty", "amount")},
        }
        cells.update({k: str(v) for k, v in (row.get("items") or {}).items()})
        out.append((village, cells))
    return out


def column_of(field: str) -> str:
    """The grid column a sheet field shows in ("" when it is not shown)."""
    return FIELD_COLUMNS.get(field, field)


def moved_marks(moved: Sequence[FieldChange]) -> set[tuple[str, str]]:
    """(village, column) of every number that moved since the publication."""
    return {(c.village, column_of(c.field)) for c in moved if column_of(c.field)}


class RankingModel(TableModel):
    """The sheet's rows, with the numbers that moved since the publication marked."""

    def __init__(self, columns: Sequence[GridColumn]) -> None:
        super().__init__(columns)
        self.moved: set[tuple[str, str]] = set()

    def marks(self, row_id: str, column_id: str) -> frozenset[str]:
        return frozenset({MOVED}) if (row_id, column_id) in self.moved else frozenset()


def view_title(publication: Publication | None, changes: Changes | None, published: bool,
               lang: str) -> str:
    """Which sheet the screen shows: live or as published, and how much moved since."""
    if publication is None:
        return say(lang, "ui.ranking.view.live-unpublished")
    at = show_time(publication.at)
    if published:
        text = say(lang, "ui.ranking.view.published", version=publication.version, at=at)
    else:
        text = say(lang, "ui.ranking.view.live", version=publication.version, at=at)
    moved = len(moved_marks(changes.moved)) if changes is not None else 0
    if moved:
        text += say(lang, "ui.ranking.view.moved", count=moved)
    return text


def _shown(value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return say(lang, "cli.yes" if value else "cli.no")
    return str(value)


def move_lines(changes: Changes, village: str, column: str, lang: str,
               titles: Mapping[str, str] | None = None) -> list[str]:
    """What the explanation panel says about a moved number: its published and its
    current value, then the late edits behind the move (who, when, what)."""
    fields = [c for c in changes.moved if c.village == village and column_of(c.field) == column]
    if not fields:
        return []
    publication = changes.publication
    lines = [say(lang, "ui.ranking.move.head", version=publication.version,
                 at=show_time(publication.at))]
    for change in fields:
        name = (titles or {}).get(change.field, change.field)
        lines.append(say(lang, "ui.ranking.move.value", field=name,
                         published=_shown(change.published, lang),
                         now=_shown(change.now, lang)))
    behind = edits_behind(village, fields[0].field, changes.moved, changes.late)
    if not behind:
        lines.append(say(lang, "ui.ranking.move.no-edits"))
        return lines
    lines.append(say(lang, "ui.ranking.move.edits", count=len(behind)))
    for entry in behind:
        what = " ".join(p for p in (entry.village, entry.row, entry.column) if p)
        lines.append(say(lang, "ui.ranking.move.edit", at=show_time(entry.at),
                         office=entry.office, op=op_name(entry.op, lang), what=what,
                         old=show_value(entry.old, lang, entry.column),
                         new=show_value(entry.new, lang, entry.column)))
    return lines
