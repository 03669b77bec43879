"""Ledger files on disk: reading CSV and .xlsx into records, writing them for Excel.

Reading gives `domain.ledger_table.Record`s (text as a clerk would have typed it, with
the CSV line or sheet row number); domain/ledger_table.py checks them against the
program. A file that cannot be read at all raises `TabularError` with one line.

CSV: UTF-8 with or without a byte-order mark, any line ending (Excel writes CRLF).
Chinese Excel's plain "CSV" save is GBK, the first file most clerks will import: a
file that is not UTF-8 but is GB18030 (GBK's superset) holding Chinese text, and no
private-use characters that only a wrong guess would produce, is read as GB18030 and
the reading says so (`LedgerFile.notes`). Any other encoding is refused, with the
advice to save as "CSV UTF-8".

.xlsx (openpyxl, read-only, the first sheet, cached values of formulas; a formula with
no saved result, as other programs write them, is refused rather than read as empty, since
its value is unknown until a spreadsheet computes it): Excel stores
what the clerk typed as numbers, dates and booleans, and openpyxl gives them back as
int, float, datetime and bool. They become the text the clerk typed:

- a datetime at midnight -> "YYYY-MM-DD", also when a formula's arithmetic left it a
  millisecond off (times are rounded to the second); with a time of day:
  "YYYY-MM-DD HH:MM[:SS]", which a date column then refuses rather than silently
  dropping the time;
- an int -> its digits; a float that is integral -> its digits without ".0";
- any other float -> the shortest decimal that Excel shows: Excel keeps 15 significant
  digits, so the float is rounded to 15 significant digits (0.1 + 0.2 computed by a
  formula is stored as 0.30000000000000004 but shown, and meant, as 0.3), trailing
  zeros dropped, and written without an exponent (1e-05 -> "0.00001") via Decimal;
- a bool -> 是 / 否; anything else -> str().

Writing: CSV as UTF-8 with a byte-order mark (utf-8-sig) and CRLF, so Excel opens it
with the Chinese intact; .xlsx with a bold header.

Formulas: a spreadsheet runs a CSV cell that begins with `=`, `+`, `-` or `@` as a formula
(a note `=HYPERLINK(...)` becomes a live link), so every CSV cell that does is written
with a leading `'` (`inert_cell`), which spreadsheets show as text; reading a CSV takes
one such `'` off again (`revive_cell`), so an export read back by `ledger import` gives
exactly the values exported. A cell that already begins with `'` before one of those
characters gets one more, so the round trip is exact for every text. A plain number
(`-4.00`) is no formula and stays as it is, so sheets keep their negative numbers.

In .xlsx, numbers and dates are written as real numbers and dates (so a clerk can sum and
sort them), decimals with a number format of their column's places (80.00 stays 80.00),
but only when reading them back gives the same value: an int or decimal longer than
Excel's 15 digits is written as text. Everything else is text cells, never formulas. A
control character .xlsx cannot hold (a NUL a value kept from before such characters were
refused) is written as its visible escape (`\\x00`), so one bad cell never blocks the
export.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from vledger.domain.ledger_table import Record, header_names
from vledger.domain.program import CellValue, Column, Program
from vledger.domain.values import format_cell, visible
from vledger.errors import VledgerError
from vledger.messages import Message

__all__ = [
    "LedgerFile",
    "TabularError",
    "cell_text",
    "decode_text",
    "export_ledger",
    "inert_cell",
    "read_csv_text",
    "read_ledger",
    "read_ledger_file",
    "revive_cell",
    "write_csv",
    "write_xlsx",
]

EXTENSIONS = (".csv", ".xlsx")
# A village's ledger of a year is thousands of rows; these limits refuse a file that
# cannot be one (or a workbook that unpacks into gigabytes) before it is read whole,
# and say what the limit is, instead of running out of memory.
MAX_FILE_BYTES = 64 << 20
MAX_UNPACKED_BYTES = 256 << 20  # what an .xlsx's parts unpack to
MAX_ROWS = 50_000  # rows of one import, header not counted
MAX_EMPTY_RUN = 10_000  # empty rows in a row before the sheet is taken to have ended
_EXCEL_DIGITS = 15  # significant digits Excel keeps and shows
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # .xlsx cannot hold these
_FORMULA = re.compile(r"'*[=+\-@]")  # what a spreadsheet would run (with quotes before it)
_QUOTED_FORMULA = re.compile(r"'+[=+\-@]")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")


def inert_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as the text it is, never runs (module docstring)."""
    if _FORMULA.match(text) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def revive_cell(text: str) -> str:
    """The value `inert_cell` was given, from the cell it wrote."""
    if _QUOTED_FORMULA.match(text) and not _PLAIN_NUMBER.match(text[1:]):
        return text[1:]
    return text


class TabularError(VledgerError):
    """A file that cannot be read or written; each problem is one line naming the file."""


@dataclass(frozen=True)
class LedgerFile:
    """What a ledger file holds, and what the reading has to say about it (read as GBK)."""

    records: list[Record]
    notes: tuple[Message, ...] = ()


# -- reading ---------------------------------------------------------------------------


def read_ledger_file(path: Path | str, shown_as: str | None = None) -> list[Record]:
    """The records of a .csv or .xlsx ledger file; TabularError when it cannot be read.

    `shown_as` is the file's name in messages (default: `path` as given).
    """
    return read_ledger(path, shown_as).records


def read_ledger(path: Path | str, shown_as: str | None = None) -> LedgerFile:
    """A .csv or .xlsx ledger file's records with the notes of reading it."""
    name = shown_as if shown_as is not None else str(path)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        if suffix:
            raise TabularError(Message("ledger.file.kind", file=name, suffix=suffix))
        raise TabularError(Message("ledger.file.no-suffix", file=name))
    if not path.exists():
        raise TabularError(Message("ledger.file.missing", file=name))
    if path.is_dir():
        raise TabularError(Message("ledger.file.folder", file=name))
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise TabularError(Message("ledger.file.too-big", file=name, size=size >> 20,
                                   most=MAX_FILE_BYTES >> 20))
    if suffix == ".csv":
        try:
            data = path.read_bytes()
        except OSError as error:
            raise TabularError(unreadable(name, error)) from None
        text, notes = decode_text(data, name)
        return LedgerFile(read_csv_text(text, name), notes)
    return LedgerFile(_read_xlsx(path, name))


def unreadable(name: str, error: OSError) -> Message:
    return Message("ledger.file.unreadable", file=name, why=error.strerror or str(error))


def decode_text(data: bytes, name: str) -> tuple[str, tuple[Message, ...]]:
    """A CSV file's text, and a note when it was read as GB18030 (see the module
    docstring); TabularError naming the first line that is neither."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TabularError(Message("ledger.file.utf16", file=name))
    try:
        return data.decode("utf-8-sig"), ()
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if _PLAUSIBLE_CHINESE.search(text) and not _UNLIKELY.search(text):
        return text, (Message("ledger.file.read-as-gbk", file=name),)
    raise TabularError(Message("ledger.file.not-utf8", file=name, line=line))


# GB18030 decodes most byte strings to something; a file that was really GBK holds Chinese
# characters, and none of the private-use or C1 control characters that bytes of another
# encoding (Big5, Latin-1) would become.
_PLAUSIBLE_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_UNLIKELY = re.compile(r"[\x80-\x9f\ue000-\uf8ff]")


def read_csv_text(text: str, name: str = "") -> list[Record]:
    """Records with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[Record] = []
    start = 1
    try:
        for cells in reader:
            records.append(Record(start, tuple(revive_cell(c) for c in cells)))
            _check_rows(records, name)
            start = reader.line_num + 1
    except csv.Error as error:
        raise TabularError(Message("ledger.file.csv", file=name, line=reader.line_num,
                                   why=str(error))) from None
    return records


def _check_rows(records: list[Record], name: str) -> None:
    if len(records) > MAX_ROWS + 1:  # the header is one of them
        raise TabularError(Message("ledger.file.too-many-rows", file=name, most=MAX_ROWS))


def _read_xlsx(path: Path, name: str) -> list[Record]:
    from zipfile import BadZipFile

    import openpyxl

    _check_unpacked(path, name)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise TabularError(Message("ledger.file.not-xlsx", file=name, why=str(error))) from None
    except Exception as error:  # openpyxl's XML parser raises its own kinds
        raise TabularError(Message("ledger.file.broken", file=name, why=str(error))) from None
    try:
        if not book.worksheets:
            raise TabularError(Message("ledger.file.no-sheets", file=name))
        sheet = book.worksheets[0]
        _refuse_unsaved_formulas(path, book.sheetnames[0], name)
        # A workbook's recorded size can be wrong (files written by other programs);
        # forgetting it makes openpyxl read every row there is.
        sheet.reset_dimensions()
        return _sheet_records(sheet.iter_rows(values_only=True), name)
    except TabularError:
        raise
    except Exception as error:  # broken XML inside a sheet
        raise TabularError(Message("ledger.file.broken", file=name, why=str(error))) from None
    finally:
        book.close()


def _sheet_records(rows: Iterable[Sequence[object]], name: str) -> list[Record]:
    """The sheet's rows, streamed: empty rows are not kept, and a long run of them ends
    the sheet (a workbook saved with a million formatted empty rows is not a million
    rows of ledger)."""
    records: list[Record] = []
    empty = 0
    for number, values in enumerate(rows, start=1):
        cells = tuple(cell_text(v) for v in values)
        if not any(cells):
            empty += 1
            if empty >= MAX_EMPTY_RUN:
                break
            continue
        empty = 0
        records.append(Record(number, cells))
        _check_rows(records, name)
    return records


def _check_unpacked(path: Path, name: str) -> None:
    from zipfile import BadZipFile, ZipFile

    try:
        with ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (BadZipFile, OSError) as error:
        raise TabularError(Message("ledger.file.not-xlsx", file=name, why=str(error))) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise TabularError(Message("ledger.file.unpacks", file=name, size=unpacked >> 20,
                                   most=MAX_UNPACKED_BYTES >> 20))


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELS_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_RELS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
UNSAVED_SHOWN = 10  # formula cells named in the refusal


def _refuse_unsaved_formulas(path: Path, sheet_name: str, name: str) -> None:
    """Refuse a sheet whose formula cells hold no saved result.

    openpyxl gives such a cell as None, the same as an empty cell, so the sheet's XML is
    read (streamed) for `<c><f>…</f></c>` whose `<v>` is missing or empty. A formula
    whose result is the empty text has an empty `<v>` too, but is typed as text
    (`t="str"`); an empty number is no result at all (openpyxl writes `<v/>`).
    """
    from xml.etree.ElementTree import iterparse
    from zipfile import ZipFile

    unsaved: list[str] = []
    with ZipFile(path) as archive:
        part = _sheet_part(archive, sheet_name)
        if part is None:
            return
        with archive.open(part) as source:
            for _, element in iterparse(source):
                if element.tag == f"{_SHEET_NS}row":
                    element.clear()  # keeps memory flat over a long sheet
                elif element.tag == f"{_SHEET_NS}c" and _unsaved(element):
                    unsaved.append(element.get("r") or "?")
    if unsaved:
        cells = [_cell_name(name, ref) for ref in unsaved[:UNSAVED_SHOWN]]
        raise TabularError(Message("ledger.file.unsaved-formulas", file=name,
                                   count=len(unsaved), cells=cells))


def _unsaved(cell: Any) -> bool:
    if cell.find(f"{_SHEET_NS}f") is None:
        return False
    saved = cell.find(f"{_SHEET_NS}v")
    if saved is None:
        return True
    return not saved.text and cell.get("t") not in ("str", "s", "inlineStr")


def _sheet_part(archive: Any, sheet_name: str) -> str | None:
    """The zip member of the sheet called `sheet_name` (workbook.xml and its rels)."""
    from xml.etree.ElementTree import fromstring

    try:
        book = fromstring(archive.read("xl/workbook.xml"))
        rels = fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_RELS_NS}Relationship")}
    for sheet in book.iter(f"{_SHEET_NS}sheet"):
        if sheet.get("name") == sheet_name:
            target = targets.get(sheet.get(_DOC_RELS), "")
            if not target:
                return None
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _cell_name(name: str, ref: str) -> str:
    """`FILE:ROW:COLUMN` of an A1 reference, as import problems name cells."""
    found = re.fullmatch(r"([A-Z]+)([0-9]+)", ref)
    return f"{name}:{found[2]}:{found[1]}" if found else f"{name}:{ref}"


def cell_text(value: object) -> str:
    """What the clerk typed into an .xlsx cell, from the value openpyxl reads back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        value = _to_the_second(value)
        if value.time() == time(0):
            return value.date().isoformat()
        spec = "%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S"
        return value.strftime(spec)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _to_the_second(value: datetime) -> datetime:
    """Excel keeps a date-time as a fraction of a day, so a formula's midnight can come
    back as 23:59:59.999: what Excel shows is the nearest second."""
    whole = value.replace(microsecond=0)
    return whole + timedelta(seconds=1) if value.microsecond >= 500_000 else whole


def _float_text(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)  # not a number Excel can store; the column's parser refuses it
    if value.is_integer():
        return str(int(value))
    shown = Decimal(format(value, f".{_EXCEL_DIGITS}g")).normalize()
    return format(shown, "f")


# -- writing ---------------------------------------------------------------------------


def ledger_header(program: Program) -> list[str]:
    names = header_names(program)
    return [names[c.id] for c in program.columns]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A CSV that Excel opens with Chinese intact (UTF-8 with BOM, CRLF line ends) and
    runs no formula (`inert_cell`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([inert_cell(h) for h in header])
    writer.writerows([inert_cell(c) for c in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """A CSV for Excel (`csv_bytes`), written whole or not at all."""
    write_whole(path, csv_bytes(header, rows))


def number_format(places: int) -> str:
    """Excel's number format that shows `places` decimals ("0.00"; "0" for none)."""
    return "0." + "0" * places if places > 0 else "0"


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]],
               formats: Sequence[str | None] = ()) -> None:
    """An .xlsx workbook with one sheet and a bold header; str values stay text. Numbers
    in column i show with `formats[i]` (so 80.00 is not shown as 80)."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    bold = Font(bold=True)
    for index, title in enumerate(header, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.value = title
        cell.data_type = "s"
        cell.font = bold
    for number, values in enumerate(rows, start=2):
        for index, value in enumerate(values, start=1):
            if value is None or value == "":
                continue
            if isinstance(value, str) and _ILLEGAL_XML.search(value):
                value = _ILLEGAL_XML.sub(lambda c: visible(c[0]), value)
            cell = sheet.cell(row=number, column=index)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # "=1+1" typed in a text column is text, not a formula
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif index <= len(formats) and formats[index - 1]:
                cell.number_format = formats[index - 1]
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    write_whole(path, buffer.getvalue())


def write_whole(path: Path, data: bytes) -> None:
    """Write to a temporary file next to `path`, then rename: never a half-written file."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.part")
    try:
        temporary.write_bytes(data)
        temporary.replace(target)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise TabularError(Message("ledger.file.unwritable", file=str(path),
                                   why=error.strerror or str(error))) from None


def _xlsx_value(column: Column, value: CellValue) -> object:
    """The cell to write: a real number or date when it reads back as the same value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return format_cell(column, value, "zh")
    if column.type == "int" and isinstance(value, int) and abs(value) < 10**_EXCEL_DIGITS:
        return value
    if column.type == "decimal" and isinstance(value, str):
        number = _excel_number(value)
        if number is not None:
            return number
    if column.type == "date" and isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is not None and day.year >= 1900:  # Excel has no dates before 1900
            return day
    return format_cell(column, value, "zh")


def _excel_number(text: str) -> float | None:
    try:
        exact = Decimal(text)
    except ArithmeticError:
        return None
    if not exact.is_finite() or len(exact.as_tuple().digits) > _EXCEL_DIGITS:
        return None
    number = float(exact)
    if Decimal(_float_text(number)) != exact:
        return None
    return number


def export_ledger(
    path: Path | str, program: Program, rows: Iterable[Mapping[str, CellValue]]
) -> int:
    """Write rows (column id -> stored value) as .csv or .xlsx by extension; the row count.

    The header names columns by title (`header_names`), so the file reads well in
    Excel and `read_ledger_file` + `read_table` give back exactly the same cells.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXTENSIONS:
        raise TabularError(Message("ledger.file.export-kind", file=str(path),
                                   suffix=suffix or "-"))
    header = ledger_header(program)
    written = list(rows)
    if suffix == ".csv":
        write_csv(
            target, header,
            ([format_cell(c, cells.get(c.id), "zh") for c in program.columns] for cells in written),
        )
        return len(written)
    values = [[_xlsx_value(c, cells.get(c.id)) for c in program.columns] for cells in written]
    formats = [number_format(c.places) if c.type == "decimal" else
               "0" if c.type == "int" else None for c in program.columns]
    write_xlsx(target, header, values, formats)
    return len(written)
