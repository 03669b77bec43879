"""A ranking sheet, live or as published, written for a meeting or the county: .xlsx,
.csv or one printable .html page (cli.md, Exports).

Everything is written from the `rank --json` document of the sheet and the names it is
shown with (`domain.publication.Labels`), so a published sheet is exported exactly as it
was announced, years later, whatever the ledgers say now. The columns: rank, village id
and name, area, every item, adjustments, rank bonus, total, complete, vetoed, reward,
penalty, amount; one row per village in rank order.

- .xlsx (openpyxl): a title row (township, program, period, published or live, date), a
  bold header, numbers as numbers with the sheet's places (scores `0.00`, money `0` when
  every amount is whole), the header and village columns frozen, widths that fit
  Chinese (a wide character counts two).
- .csv: UTF-8 with BOM, the header and the rows (tabular.csv_bytes: no cell runs as a
  formula).
- .html: one A4 landscape page with the title, the publication stamp, the table and the
  areas' money.
"""

from __future__ import annotations

import html
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from vledger.domain.publication import Labels, Publication
from vledger.messages import Message, say
from vledger.sync.services.permissions import Refusal
from vledger.sync.services.tabular import TabularError, csv_bytes, number_format, write_whole

EXPORTS = (".xlsx", ".csv", ".html")
Kind = Literal["text", "score", "money", "int", "flag"]


@dataclass(frozen=True)
class SheetColumn:
    id: str
    title: str
    kind: Kind


@dataclass(frozen=True)
class SheetTable:
    """A sheet as every export writes it."""

    title: str  # township · program · period
    stamp: str  # published (version, when, by whom, the note) or live, and the date
    columns: tuple[SheetColumn, ...]
    rows: tuple[tuple[Any, ...], ...]  # str, int, Decimal or bool, by column
    areas: tuple[tuple[str, Decimal], ...]
    lang: str

    def text(self, row: Sequence[Any], index: int) -> str:
        """A cell as the .csv and .html write it."""
        value, kind = row[index], self.columns[index].kind
        if kind == "flag":
            return say(self.lang, "cli.yes") if value else ""
        if kind == "score" and isinstance(value, Decimal):
            return f"{value:.2f}"
        return "" if value is None else str(value)


def sheet_table(sheet: Mapping[str, Any], labels: Labels, lang: str, date: str,
                publication: Publication | None = None) -> SheetTable:
    """The table of a `rank --json` sheet; `publication` when it is a published one."""
    items = list(labels.items.items())
    columns = [
        SheetColumn("rank", say(lang, "cli.head.rank"), "int"),
        SheetColumn("village", say(lang, "export.head.village"), "text"),
        SheetColumn("name", say(lang, "cli.head.name"), "text"),
        SheetColumn("area", say(lang, "cli.head.area"), "text"),
        *(SheetColumn(item, title or item, "score") for item, title in items),
        SheetColumn("adjustments", say(lang, "cli.head.adjustments"), "score"),
        SheetColumn("rank_bonus", say(lang, "cli.head.rank-bonus"), "score"),
        SheetColumn("total", say(lang, "cli.head.total"), "score"),
        SheetColumn("complete", say(lang, "cli.head.complete"), "flag"),
        SheetColumn("vetoed", say(lang, "cli.rank.vetoed"), "flag"),
        SheetColumn("reward", say(lang, "ui.ranking.col.reward"), "money"),
        SheetColumn("penalty", say(lang, "ui.ranking.col.penalty"), "money"),
        SheetColumn("amount", say(lang, "cli.head.amount"), "money"),
    ]
    rows = []
    for row in sheet.get("rows") or []:
        village = str(row["village"])
        scores = row.get("items") or {}
        values: list[Any] = [
            int(row["rank"]), village, labels.villages.get(village, ""),
            labels.areas.get(village, ""),
            *(_number(scores.get(item)) for item, _ in items),
            _number(row.get("adjustments")), _number(row.get("rank_bonus")),
            _number(row.get("total")), bool(row.get("complete")), bool(row.get("vetoed")),
            _number(row.get("reward")), _number(row.get("penalty")), _number(row.get("amount")),
        ]
        rows.append(tuple(values))
    areas = tuple((str(a), _number(v)) for a, v in (sheet.get("areas") or {}).items())
    title = " · ".join(t for t in (labels.township, labels.program, labels.period) if t)
    if publication is None:
        stamp = say(lang, "export.stamp.live", date=date)
    else:
        stamp = say(lang, "export.stamp.published", version=publication.version,
                    at=publication.at[:16].replace("T", " "), by=publication.office,
                    id=publication.id, date=date)
        if publication.note:
            stamp += say(lang, "export.stamp.note", note=publication.note)
    return SheetTable(title, stamp, tuple(columns), tuple(rows), areas, lang)


def _number(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def check_export(path: Path | str) -> str:
    """The export's kind by the file's extension; Refusal for any other."""
    suffix = Path(path).suffix.lower()
    if suffix not in EXPORTS:
        raise Refusal(Message("export.kind", file=str(path)))
    return suffix


def export_sheet(path: Path | str, table: SheetTable) -> Path:
    """Write the sheet as .xlsx, .csv or .html by the file's extension."""
    target = Path(path)
    suffix = check_export(target)
    try:
        if suffix == ".csv":
            header = [c.title for c in table.columns]
            body = [[table.text(r, i) for i in range(len(table.columns))] for r in table.rows]
            write_whole(target, csv_bytes(header, body))
        elif suffix == ".html":
            write_whole(target, sheet_html(table).encode("utf-8"))
        else:
            write_whole(target, _xlsx(table))
    except TabularError as problem:
        raise Refusal(str(problem)) from None
    return target


# -- .xlsx ---------------------------------------------------------------------------------


def cell_width(text: str) -> int:
    """Columns a text takes in a spreadsheet cell: a wide (Chinese) character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _formats(table: SheetTable) -> list[str | None]:
    formats: list[str | None] = []
    for index, column in enumerate(table.columns):
        if column.kind == "score":
            formats.append(number_format(2))
        elif column.kind == "money":
            whole = all(r[index] == r[index].to_integral_value() for r in table.rows)
            formats.append(number_format(0 if whole else 2))
        elif column.kind == "int":
            formats.append("0")
        else:
            formats.append(None)
    return formats


def _xlsx(table: SheetTable) -> bytes:
    import openpyxl
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = say(table.lang, "export.sheet-name")
    width = len(table.columns)
    title = f"{table.title}    {table.stamp}"
    sheet.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    sheet.cell(row=1, column=1).data_type = "s"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    bold = Font(bold=True)
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(row=2, column=index, value=column.title)
        cell.data_type = "s"
        cell.font = bold
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    formats = _formats(table)
    for number, row in enumerate(table.rows, start=3):
        for index, value in enumerate(row, start=1):
            column = table.columns[index - 1]
            if column.kind == "flag":
                value = table.text(row, index - 1)
            cell = sheet.cell(row=number, column=index, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # a name is text, never a formula
            elif formats[index - 1]:
                cell.number_format = formats[index - 1]
    for index, column in enumerate(table.columns, start=1):
        texts = [column.title] + [table.text(r, index - 1) for r in table.rows]
        widest = max(cell_width(t) for t in texts)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 6), 40)
    sheet.freeze_panes = "E3"  # the title, the header and who each row is stay in view
    if table.areas:
        line = len(table.rows) + 4
        for area, amount in table.areas:
            sheet.cell(row=line, column=2, value=say(table.lang, "cli.head.area")).data_type = "s"
            sheet.cell(row=line, column=3, value=area).data_type = "s"
            money = sheet.cell(row=line, column=4, value=amount)
            money.number_format = number_format(0 if amount == amount.to_integral_value() else 2)
            line += 1
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- .html ---------------------------------------------------------------------------------

_STYLE = """@page { size: A4 landscape; margin: 10mm; }
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "SimSun", sans-serif;
       font-size: 10pt; margin: 0; }
h1 { font-size: 14pt; margin: 0 0 2mm 0; }
p.stamp { margin: 0 0 3mm 0; }
table { border-collapse: collapse; width: 100%; page-break-inside: avoid; }
th, td { border: 1px solid #444; padding: 1mm 1.5mm; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
p.areas { margin-top: 3mm; }"""


def sheet_html(table: SheetTable) -> str:
    """One printable page: title, stamp, the table, the areas' money."""
    esc = html.escape
    lang = "zh-CN" if table.lang == "zh" else "en"
    lines = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{esc(table.title)}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(table.title)}</h1>",
        f'<p class="stamp">{esc(table.stamp)}</p>',
        "<table>",
        "<thead><tr>" + "".join(f"<th>{esc(c.title)}</th>" for c in table.columns)
        + "</tr></thead>",
        "<tbody>",
    ]
    for row in table.rows:
        cells = []
        for index, column in enumerate(table.columns):
            numeric = column.kind in ("score", "money", "int")
            cls = ' class="n"' if numeric else ""
            cells.append(f"<td{cls}>{esc(table.text(row, index))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    if table.areas:
        money = "；".join(f"{esc(a)} {esc(str(v))}" for a, v in table.areas)
        lines.append(f'<p class="areas">{esc(say(table.lang, "cli.head.area"))}: {money}</p>')
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines)
