"""Ledger files on disk: CSV encodings, .xlsx values as typed text, export-import round trip."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vledger.domain.ledger_table import read_table
from vledger.domain.program import CellValue, Column, Program
from vledger.sync.services.tabular import (
    TabularError,
    cell_text,
    export_ledger,
    read_ledger_file,
)

COLUMNS = (
    Column("date", "日期", "date", required=True),
    Column("kind", "类别", "choice", required=True, choices=("宣传活动", "应急演练", "例会")),
    Column("participants", "参加人数", "int"),
    Column("cost", "费用", "decimal", places=2),
    Column("share", "占比", "decimal", places=0),
    Column("fixed", "已整改", "bool"),
    Column("note", "备注", "text", max_length=40),
)
PROGRAM = Program(
    id="safety-2026", title="安全生产", year=2026, date_column="date", periods=(),
    columns=COLUMNS, indicators=(), items=(),
)
HEADER = "日期,类别,参加人数,备注\r\n"


def cells_of(path: Path) -> list[tuple[str, ...]]:
    return [r.cells for r in read_ledger_file(path)]


# -- CSV -------------------------------------------------------------------------------


def test_csv_with_and_without_bom_and_crlf_read_the_same(tmp_path: Path) -> None:
    text = HEADER + "2026-01-10,宣传活动,60,春节安全宣传\r\n2026-02-15,宣传活动,45,\r\n"
    plain, bom, unix = tmp_path / "plain.csv", tmp_path / "bom.csv", tmp_path / "unix.csv"
    plain.write_bytes(text.encode("utf-8"))
    bom.write_bytes(text.encode("utf-8-sig"))
    unix.write_bytes(text.replace("\r\n", "\n").encode("utf-8"))
    expected = [
        ("日期", "类别", "参加人数", "备注"),
        ("2026-01-10", "宣传活动", "60", "春节安全宣传"),
        ("2026-02-15", "宣传活动", "45", ""),
    ]
    assert cells_of(plain) == cells_of(bom) == cells_of(unix) == expected


def test_a_quoted_cell_over_several_lines_is_numbered_by_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    body = '2026-01-10,宣传活动,1,"两行\r\n备注"\r\n\r\n2026-01-11,例会,2,x\r\n'
    path.write_bytes((HEADER + body).encode("utf-8"))
    found = read_ledger_file(path)
    assert [(r.number, r.cells) for r in found] == [
        (1, ("日期", "类别", "参加人数", "备注")),
        (2, ("2026-01-10", "宣传活动", "1", "两行\r\n备注")),
        (4, ()),
        (5, ("2026-01-11", "例会", "2", "x")),
    ]
    table = read_table(PROGRAM, "a.csv", found)
    assert [r.number for r in table.rows] == [2, 5]


def test_gbk_from_chinese_excel_is_read_as_gb18030_and_says_so(tmp_path: Path) -> None:
    from vledger.sync.services.tabular import read_ledger

    text = HEADER + "2026-01-10,宣传活动,60,春节\r\n2026-01-11,例会,3,𠀀字\r\n"
    gbk, utf8 = tmp_path / "gbk.csv", tmp_path / "utf8.csv"
    gbk.write_bytes(text.encode("gb18030"))
    utf8.write_bytes(text.encode("utf-8"))
    found = read_ledger(gbk, shown_as="gbk.csv")
    assert [r.cells for r in found.records] == cells_of(utf8)
    (note,) = found.notes
    assert note.text("en").startswith("gbk.csv: not UTF-8, so read as GBK")
    assert "GBK" in note.text("zh")
    assert read_ledger(utf8).notes == ()


def test_bytes_that_are_neither_utf8_nor_chinese_gbk_are_refused(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("date,note\r\n2026-01-10,café crème\r\n".encode("latin-1"))
    with pytest.raises(TabularError) as refused:
        read_ledger_file(latin, shown_as="latin.csv")
    message = str(refused.value)
    assert message.startswith("latin.csv:2: neither UTF-8 nor GBK text")
    assert "CSV UTF-8" in message
    assert "CSV UTF-8" in refused.value.problems[0].text("zh")  # type: ignore[attr-defined]
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"date\r\n\x81\x30\xff\xfe\x00")
    with pytest.raises(TabularError, match="neither UTF-8 nor GBK"):
        read_ledger_file(garbage)


def test_a_formula_with_no_saved_result_is_refused_not_read_as_empty(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类别", "参加人数"])
    sheet.append(["2026-01-10", "例会", "=1+1"])  # openpyxl saves formulas uncomputed
    sheet.append(["2026-01-11", "例会", 3])
    sheet.append(["=TODAY()", "例会", 4])
    path = tmp_path / "formulas.xlsx"
    book.save(path)
    with pytest.raises(TabularError) as refused:
        read_ledger_file(path, shown_as="formulas.xlsx")
    message = str(refused.value)
    assert message.startswith("formulas.xlsx: 2 formula cells hold no saved result")
    assert "formulas.xlsx:2:C" in message and "formulas.xlsx:4:A" in message
    assert "Excel" in refused.value.problems[0].text("zh")  # type: ignore[attr-defined]


def test_a_formula_whose_saved_result_is_empty_text_reads_as_empty(tmp_path: Path) -> None:
    path = _sheet_xlsx(
        tmp_path / "empty-result.xlsx", 0,
        sheet_xml=(
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>日期</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>备注</t></is></c></row>'
            '<row r="2"><c r="A2" t="inlineStr"><is><t>2026-01-10</t></is></c>'
            '<c r="B2" t="str"><f>IF(1&gt;2,"x","")</f><v></v></c></row>'
            "</sheetData></worksheet>"
        ),
    )
    assert [r.cells for r in read_ledger_file(path)] == [("日期", "备注"), ("2026-01-10", "")]


def test_a_date_time_a_formula_left_just_before_midnight_reads_as_the_day() -> None:
    assert cell_text(datetime(2026, 3, 4, 23, 59, 59, 999000)) == "2026-03-05"
    assert cell_text(datetime(2026, 3, 5, 0, 0, 0, 400)) == "2026-03-05"
    assert cell_text(datetime(2026, 3, 5, 8, 0, 0, 600000)) == "2026-03-05 08:00:01"


def test_an_xlsx_date_cell_with_a_midnight_time_imports_as_a_date(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类别"])
    sheet.append([datetime(2026, 3, 5, 0, 0), "例会"])
    sheet["A2"].number_format = "yyyy-mm-dd hh:mm:ss"
    sheet.append(["2026/3/6 0:00", "例会"])  # a date as text, as Excel's CSV writes it
    path = tmp_path / "midnight.xlsx"
    book.save(path)
    table = read_table(PROGRAM, path.name, read_ledger_file(path))
    assert table.ok, table.messages()
    assert [r.cells["date"] for r in table.rows] == ["2026-03-05", "2026-03-06"]


def test_utf16_and_other_files_are_refused(tmp_path: Path) -> None:
    utf16 = tmp_path / "u.csv"
    utf16.write_bytes(HEADER.encode("utf-16"))
    with pytest.raises(TabularError, match="UTF-16"):
        read_ledger_file(utf16)
    with pytest.raises(TabularError, match="no such file"):
        read_ledger_file(tmp_path / "missing.csv")
    with pytest.raises(TabularError, match=r"\.csv or \.xlsx, not \.xls"):
        read_ledger_file(tmp_path / "old.xls")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip at all")
    with pytest.raises(TabularError, match=r"not an \.xlsx workbook"):
        read_ledger_file(broken)


def test_csv_export_is_utf8_with_bom_and_titles(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    export_ledger(path, PROGRAM, [{"date": "2026-03-05", "kind": "例会", "fixed": False,
                                   "cost": "12.50"}])
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").split("\r\n")[:2] == [
        "日期,类别,参加人数,费用,占比,已整改,备注",
        "2026-03-05,例会,,12.50,,否,",
    ]


# -- .xlsx -----------------------------------------------------------------------------


def test_xlsx_values_read_as_the_text_a_clerk_typed(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类别", "参加人数", "费用", "已整改", "备注"])
    sheet.append([date(2026, 3, 5), "宣传活动", 60, 12.5, True, "春节"])
    sheet.append([])  # row 3 left empty
    sheet.append([datetime(2026, 4, 1), "例会", 7.0, 0.1 + 0.2, False, 12])
    sheet["A2"].number_format = "yyyy-mm-dd"
    sheet["A4"].number_format = "yyyy/m/d"
    path = tmp_path / "ledger.xlsx"
    book.save(path)
    found = read_ledger_file(path)
    assert [(r.number, r.cells) for r in found if r.cells] == [
        (1, ("日期", "类别", "参加人数", "费用", "已整改", "备注")),
        (2, ("2026-03-05", "宣传活动", "60", "12.5", "是", "春节")),
        (4, ("2026-04-01", "例会", "7", "0.3", "否", "12")),
    ]
    table = read_table(PROGRAM, "ledger.xlsx", found)
    assert table.ok, table.messages()
    assert [r.cells for r in table.rows] == [
        {"date": "2026-03-05", "kind": "宣传活动", "participants": 60, "cost": "12.50",
         "fixed": True, "note": "春节"},
        {"date": "2026-04-01", "kind": "例会", "participants": 7, "cost": "0.30",
         "fixed": False, "note": "12"},
    ]


def test_a_bad_xlsx_cell_is_reported_at_its_sheet_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"] = "date", "kind"
    sheet["A7"], sheet["B7"] = "2026-01-05", "开会"
    path = tmp_path / "bad.xlsx"
    book.save(path)
    table = read_table(PROGRAM, "bad.xlsx", read_ledger_file(path))
    assert [str(p).split(": ", 1)[0] for p in table.problems] == ["bad.xlsx:7:kind"]


@pytest.mark.parametrize(
    ("value", "typed"),
    [
        (None, ""), (True, "是"), (False, "否"), (12, "12"), (-3, "-3"), (12.0, "12"),
        (1e20, "100000000000000000000"), (12.5, "12.5"), (0.1, "0.1"), (1e-05, "0.00001"),
        (0.1 + 0.2, "0.3"), (-2.75, "-2.75"), (13.530000000000001, "13.53"),
        (datetime(2026, 3, 5), "2026-03-05"), (datetime(2026, 3, 5, 14, 30), "2026-03-05 14:30"),
        (datetime(2026, 3, 5, 14, 30, 5), "2026-03-05 14:30:05"), (date(2026, 1, 2), "2026-01-02"),
        (time(8, 30), "08:30"), (Decimal("1.50"), "1.50"), ("  as typed ", "  as typed "),
    ],
)
def test_cell_text(value: object, typed: str) -> None:
    assert cell_text(value) == typed


def test_xlsx_export_has_a_bold_title_header_and_real_numbers_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    export_ledger(path, PROGRAM, [
        {"date": "2026-03-05", "kind": "例会", "participants": 12, "cost": "12.50",
         "fixed": True, "note": "=1+1"},
        {"date": "2026-03-06", "kind": "例会", "participants": 10**17, "cost": "1.10"},
    ])
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["日期", "类别", "参加人数", "费用", "占比", "已整改",
                                           "备注"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet["A2"].is_date and sheet["A2"].value == datetime(2026, 3, 5)
    assert sheet["C2"].value == 12 and sheet["D2"].value == 12.5
    assert sheet["F2"].value == "是"
    assert sheet["G2"].data_type == "s" and sheet["G2"].value == "=1+1"  # never a formula
    assert sheet["C3"].value == str(10**17)  # beyond Excel's 15 digits: kept as text


def test_export_refuses_other_extensions(tmp_path: Path) -> None:
    with pytest.raises(TabularError, match=r"not \.txt"):
        export_ledger(tmp_path / "out.txt", PROGRAM, [])
    assert not (tmp_path / "out.txt").exists()


# -- round trip ------------------------------------------------------------------------

_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"),
    ) | st.sampled_from(",\"'\n=+-；，。　 0123456789"),
    max_size=40,
).map(str.strip)


def _decimal(places: int) -> st.SearchStrategy[str]:
    return st.decimals(
        min_value=Decimal("-1e20"), max_value=Decimal("1e20"), places=places,
        allow_nan=False, allow_infinity=False,
    ).map(lambda d: format(abs(d) if d.is_zero() else d, "f"))


def _maybe(strategy: st.SearchStrategy[CellValue]) -> st.SearchStrategy[CellValue]:
    return st.none() | strategy


ROWS = st.lists(
    st.fixed_dictionaries({
        "date": st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31))
        .map(date.isoformat),
        "kind": st.sampled_from(COLUMNS[1].choices),
        "participants": _maybe(st.integers(min_value=-(10**20), max_value=10**20)),
        "cost": _maybe(_decimal(2)),
        "share": _maybe(_decimal(0)),
        "fixed": _maybe(st.booleans()),
        "note": _maybe(_TEXT.filter(bool)),
    }).map(lambda row: {k: v for k, v in row.items() if v is not None}),
    max_size=8,
)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=ROWS)
def test_export_then_import_gives_back_every_cell(
    tmp_path: Path, suffix: str, rows: list[dict[str, CellValue]]
) -> None:
    path = tmp_path / f"round{suffix}"
    assert export_ledger(path, PROGRAM, rows) == len(rows)
    table = read_table(PROGRAM, path.name, read_ledger_file(path))
    assert table.ok, table.messages()
    assert [r.cells for r in table.rows] == rows


# -- files too large to be a ledger, and broken ones: one line, nothing read whole ---------


def _sheet_xlsx(path: Path, empty_rows: int, sheet_xml: str | None = None) -> Path:
    """A minimal workbook: a header row, then `empty_rows` formatted but empty rows (what
    a spreadsheet saved with whole columns formatted holds)."""
    import zipfile

    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    body = "".join(f'<row r="{i}"><c r="A{i}" s="1"/></row>' for i in range(2, empty_rows + 2))
    sheet = sheet_xml or (f'<worksheet xmlns="{main}"><sheetData><row r="1"><c r="A1" '
                          f't="inlineStr"><is><t>date</t></is></c></row>{body}</sheetData>'
                          "</worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/></Types>'))
        z.writestr("_rels/.rels", f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                   f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                   '<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{pkg}"><Relationship '
                   f'Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
                   "</Relationships>")
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def test_a_workbook_of_empty_rows_ends_at_a_long_run_of_them(tmp_path: Path) -> None:
    from vledger.sync.services.tabular import MAX_EMPTY_RUN

    path = _sheet_xlsx(tmp_path / "empty.xlsx", MAX_EMPTY_RUN * 2)
    records = read_ledger_file(path)
    assert [r.number for r in records] == [1]  # the header; the empty rows are not kept


def test_a_csv_of_more_rows_than_one_import_takes_is_refused_saying_the_limit(
    tmp_path: Path,
) -> None:
    from vledger.sync.services.tabular import MAX_ROWS

    path = tmp_path / "huge.csv"
    path.write_text("date\n" + "2026-01-01\n" * (MAX_ROWS + 1), encoding="utf-8")
    with pytest.raises(TabularError, match=f"at most {MAX_ROWS}"):
        read_ledger_file(path)
    path.write_text("date\n" + "2026-01-01\n" * MAX_ROWS, encoding="utf-8")
    assert len(read_ledger_file(path)) == MAX_ROWS + 1


def test_a_file_too_large_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vledger.sync.services.tabular as tabular

    monkeypatch.setattr(tabular, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "big.csv"
    path.write_text("date\n" + "2026-01-01\n" * 200, encoding="utf-8")
    with pytest.raises(TabularError, match="more than a ledger file can be"):
        read_ledger_file(path)


def test_a_workbook_that_unpacks_into_too_much_is_refused_unread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vledger.sync.services.tabular as tabular

    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 10_000)
    path = _sheet_xlsx(tmp_path / "bomb.xlsx", 5_000)  # small on disk, larger unpacked
    with pytest.raises(TabularError, match="unpacks to"):
        read_ledger_file(path)


def test_a_workbook_with_broken_xml_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    path = _sheet_xlsx(tmp_path / "broken.xlsx", 0, sheet_xml="<worksheet><sheetData><row")
    with pytest.raises(TabularError, match=r"broken\.xlsx: the workbook cannot be read"):
        read_ledger_file(path)


def test_a_stored_control_character_never_blocks_the_xlsx_export(tmp_path: Path) -> None:
    """Values written before control characters were refused (or by another tool) still
    export: the character is written as its visible escape."""
    path = tmp_path / "nul.xlsx"
    rows = [{"date": "2026-01-10", "kind": "例会", "note": "a\x00b\x1b[31m"}]
    assert export_ledger(path, PROGRAM, rows) == 1
    (_, row) = cells_of(path)
    assert row[-1] == "a\\x00b\\x1b[31m"
